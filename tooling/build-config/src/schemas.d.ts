/** Checks (or with UPDATE_SCHEMAS=1 writes) generated JSON Schemas; returns stale file paths. */
export declare function checkJsonSchemas(dir: string, schemas: Record<string, unknown>): string[];
