import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ociError } from "../errors.js";
import type { RegistryTimeouts } from "../limits.js";

/**
 * One HTTP exchange with a registry on node:http(s), bounded in time: a connect timeout, an idle
 * timeout while waiting for headers and for each piece of the body, a low-speed limit on bodies,
 * and a notice of what is awaited when nothing moves for a while. Bodies are never decoded
 * (`Accept-Encoding: identity`): a compressed answer cannot grow in memory. Redirects, retries and
 * credentials are the client's business (client.ts).
 */

export interface HttpRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer | (() => Readable);
  /** What the request is for, in words ("manifest 1.0 of HOST/REPO"), for timeouts and notices. */
  readonly what: string;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly url: URL;
  /** The body, guarded by the idle and low-speed limits; read it or `discard()` it. */
  readonly body: Readable;
  discard(): void;
}

export type Notice = (message: string) => void;

function timeout(message: string, waitedMs: number): Error {
  return ociError("REGISTRY_TIMEOUT", `${message} (waited ${Math.round(waitedMs / 1000)} s)`);
}

/** Sends one request; resolves once the response headers are in. */
export function send(request: HttpRequest, limits: RegistryTimeouts, notice?: Notice): Promise<HttpResponse> {
  const { url, what } = request;
  const client = url.protocol === "https:" ? https : http;
  return new Promise<HttpResponse>((resolve, reject) => {
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const clear = () => {
      for (const t of timers.splice(0)) clearTimeout(t);
    };
    const req = client.request(url, {
      method: request.method,
      headers: {
        ...request.headers,
        "accept-encoding": "identity",
        ...(Buffer.isBuffer(request.body) ? { "content-length": String(request.body.length) } : {}),
      },
    });
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      clear();
      req.destroy();
      reject(error);
    };
    timers.push(
      setTimeout(
        () => fail(timeout(`cannot connect to ${url.host} for ${what}`, limits.connectMs)),
        limits.connectMs,
      ),
      setTimeout(() => notice?.(`waiting for ${url.host} to answer: ${what}`), limits.noticeMs),
    );
    req.on("socket", (socket) => {
      const connected = () => clearTimeout(timers[0]);
      if (!socket.connecting) connected();
      else socket.once(url.protocol === "https:" ? "secureConnect" : "connect", connected);
    });
    req.setTimeout(limits.idleMs, () =>
      fail(timeout(`${url.host} sent no answer to ${request.method} for ${what}`, limits.idleMs)),
    );
    req.on("error", fail);
    req.on("response", (res) => {
      if (settled) {
        res.destroy();
        return;
      }
      settled = true;
      clear();
      req.setTimeout(0);
      const body = guardBody(res, limits, `${what} from ${url.host}`, notice);
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        url,
        body,
        discard: () => {
          // An unread body holds its socket (and the process) open; a generator never started has no finally to run.
          res.resume();
          body.destroy();
        },
      });
    });
    const body = request.body;
    if (body === undefined || Buffer.isBuffer(body)) req.end(body);
    else pipeline(body(), req).catch(fail);
  });
}

/**
 * The response body, failing when no byte comes for `idleMs` or fewer than `lowSpeedBytes` come in a
 * `lowSpeedWindowMs` window — counted only while the reader waits for the network, not while the
 * reader itself holds the stream back. A reset surfaces as an error after every byte that did
 * arrive (a download can resume from there).
 */
function guardBody(
  res: http.IncomingMessage,
  limits: RegistryTimeouts,
  what: string,
  notice?: Notice,
): Readable {
  let waiting = false;
  let last = Date.now();
  let windowStart = last;
  let windowBytes = 0;
  let noticed = false;
  const stop = (error: Error) => {
    clearInterval(tick);
    res.destroy(error);
  };
  const step = Math.max(10, Math.min(limits.idleMs, limits.lowSpeedWindowMs, limits.noticeMs) / 4);
  const tick = setInterval(() => {
    const now = Date.now();
    if (!waiting) {
      // The reader is behind: time spent waiting for it is not the registry's.
      last = now;
      windowStart = now;
      windowBytes = 0;
      return;
    }
    if (now - last > limits.idleMs) return stop(timeout(`no data of ${what}`, now - last));
    if (!noticed && now - last > limits.noticeMs) {
      noticed = true;
      notice?.(`waiting for data: ${what}`);
    }
    if (now - windowStart >= limits.lowSpeedWindowMs) {
      if (windowBytes < limits.lowSpeedBytes)
        return stop(
          ociError(
            "REGISTRY_TIMEOUT",
            `${what} arrives too slowly: ${windowBytes} bytes in ${Math.round((now - windowStart) / 1000)} s (at least ${limits.lowSpeedBytes} expected)`,
          ),
        );
      windowStart = now;
      windowBytes = 0;
    }
  }, step);
  tick.unref();
  async function* chunks(): AsyncGenerator<Buffer> {
    const iterator = res[Symbol.asyncIterator]();
    try {
      for (;;) {
        waiting = true;
        const next = await iterator.next();
        waiting = false;
        if (next.done) break;
        const chunk = next.value as Buffer;
        last = Date.now();
        noticed = false;
        windowBytes += chunk.length;
        yield chunk;
      }
      if (!res.complete)
        throw Object.assign(new Error(`${what}: the connection was reset`), { code: "ECONNRESET" });
    } catch (error) {
      if ((error as { code?: string }).code === "ECONNRESET" || (error as Error).message === "aborted")
        throw Object.assign(new Error(`${what}: the connection was reset`), { code: "ECONNRESET" });
      throw error;
    } finally {
      clearInterval(tick);
      if (!res.complete) res.destroy();
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

/**
 * Reads a whole document body of at most `cap` bytes within `documentMs`: the Content-Length is
 * checked first, a compressed answer is refused (never decoded), a longer body stops at the cap.
 */
export async function readBody(
  response: HttpResponse,
  cap: number,
  what: string,
  limits: RegistryTimeouts,
): Promise<Buffer> {
  const encoding = response.headers["content-encoding"];
  if (encoding !== undefined && encoding !== "identity") {
    response.body.destroy();
    throw ociError(
      "REGISTRY_RESPONSE_INVALID",
      `${what} came ${encoding}-encoded; documents are read as they are`,
      {
        context: { host: response.url.host },
      },
    );
  }
  const length = Number(response.headers["content-length"] ?? "0");
  if (length > cap) {
    response.body.destroy();
    throw ociError("REGISTRY_RESPONSE_INVALID", `${what} is ${length} bytes, more than the ${cap} allowed`, {
      context: { host: response.url.host, limitBytes: cap },
    });
  }
  const deadline = setTimeout(
    () => response.body.destroy(timeout(`${what} did not arrive in time`, limits.documentMs)),
    limits.documentMs,
  );
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += (chunk as Buffer).length;
      if (size > cap) {
        response.body.destroy();
        throw ociError("REGISTRY_RESPONSE_INVALID", `${what} is larger than the ${cap} bytes allowed`, {
          context: { host: response.url.host, limitBytes: cap },
        });
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  } finally {
    clearTimeout(deadline);
  }
}

/** Whether a failure may pass on its own: a timeout, a reset or refused connection, a 5xx or 429. */
export function isTransient(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;
  return (
    code === "REGISTRY_TIMEOUT" ||
    code === "ECONNRESET" ||
    code === "ECONNREFUSED" ||
    code === "EPIPE" ||
    code === "ETIMEDOUT" ||
    code === "EAI_AGAIN" ||
    code === "UND_ERR_SOCKET"
  );
}

export const isTransientStatus = (status: number) => status >= 500 || status === 429;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
