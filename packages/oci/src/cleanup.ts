/**
 * Runs `work`, then `cleanup` whatever happened. A cleanup failure never hides the error that made
 * the work fail (that one is what the user must see); after a success it is reported.
 */
export async function withCleanup<T>(work: () => Promise<T>, cleanup: () => Promise<unknown>): Promise<T> {
  let result: T;
  try {
    result = await work();
  } catch (error) {
    await cleanup().catch(() => undefined);
    throw error;
  }
  await cleanup();
  return result;
}
