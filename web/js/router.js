// router.js - the app's pages by URL fragment (#/register/<class>/<date>), each for some roles only.
// A page a role may not open answers as an unknown one (not found): the URL reveals nothing.

/** Compiles "#/students/:id" into a matcher; returns its params ({id}) or null. */
export function compile(pattern) {
  const names = [];
  const re = new RegExp(
    "^" + pattern.replace(/:[a-zA-Z]+/g, (m) => (names.push(m.slice(1)), "([^/]+)")).replace(/\//g, "\\/") + "$",
  );
  return (hash) => {
    const m = re.exec(hash);
    if (!m) return null;
    const params = {};
    names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1])));
    return params;
  };
}

/** The first route matching hash that one of roles may open: {route, params}, or null. */
export function resolve(routes, hash, roles) {
  for (const route of routes) {
    route.match = route.match || compile(route.path);
    const params = route.match(hash);
    if (params && route.roles.some((r) => roles.includes(r))) return { route, params };
  }
  return null;
}
