/** Every request the twin answered, for counts per endpoint and conformance checks. */
export interface LoggedRequest {
  seq: number;
  /** World time of arrival (ms). */
  at: number;
  method: string;
  /** Route template (`/orgs/{org}/actions/runners/{runner_id}`), or `UNMATCHED`. */
  route: string;
  path: string;
  params: Record<string, string>;
  query: Record<string, string>;
  status: number;
  /** Only kept when the twin records bodies (conformance tests). */
  requestBody?: unknown;
  responseBody?: unknown;
  responseHeaders?: Record<string, string>;
}

export class RequestLog {
  private entries: LoggedRequest[] = [];
  private seq = 0;

  add(entry: Omit<LoggedRequest, 'seq'>): LoggedRequest {
    const full = { ...entry, seq: ++this.seq };
    this.entries.push(full);
    return full;
  }

  all(): LoggedRequest[] {
    return [...this.entries];
  }

  filter(method?: string, route?: string): LoggedRequest[] {
    return this.entries.filter((e) => (!method || e.method === method) && (!route || e.route === route));
  }

  /** Requests per endpoint, keyed `METHOD /route/{template}`. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.entries) {
      const key = `${e.method} ${e.route}`;
      out[key] = (out[key] ?? 0) + 1;
    }
    return out;
  }

  count(method: string, route: string): number {
    return this.filter(method, route).length;
  }

  /** Requests per status code. */
  statuses(): Record<number, number> {
    const out: Record<number, number> = {};
    for (const e of this.entries) out[e.status] = (out[e.status] ?? 0) + 1;
    return out;
  }

  get size(): number {
    return this.entries.length;
  }

  clear(): void {
    this.entries = [];
  }
}
