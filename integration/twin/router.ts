/** Route templates in the OpenAPI spelling (`/orgs/{org}/actions/runners/{runner_id}`). */
export interface RouteMatch {
  template: string;
  params: Record<string, string>;
}

interface CompiledRoute {
  method: string;
  template: string;
  regex: RegExp;
  names: string[];
}

export class RouteTable {
  private readonly routes: CompiledRoute[] = [];

  add(method: string, template: string): void {
    const names: string[] = [];
    const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    this.routes.push({ method, template, regex: new RegExp(`^${pattern}$`), names });
  }

  match(method: string, path: string): RouteMatch | undefined {
    for (const r of this.routes) {
      if (r.method !== method) continue;
      const m = r.regex.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1] ?? '')));
      return { template: r.template, params };
    }
    return undefined;
  }

  list(): { method: string; template: string }[] {
    return this.routes.map(({ method, template }) => ({ method, template }));
  }
}
