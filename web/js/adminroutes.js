// adminroutes.js - the routes of the administration pages (main.js adds them to its own): the school's
// accounts and its audit trail (admins), imports, exports and their jobs (admins; staff and the bursar
// export), the platform's schools (its operators). The pages load when first opened (a dynamic import:
// scripts/web-build leaves them out of the first screen), so nobody else downloads them.

import { fill, heading, notice } from "./dom.js";

/** A page whose module is fetched when it is first shown. */
function lazy(load) {
  return {
    async render(ctx, params) {
      let page;
      try {
        page = await load();
      } catch {
        if (ctx.alive()) fill(ctx.main, heading("Page not loaded"), notice("error", "This page could not be loaded. Check the connection and reload."));
        return;
      }
      if (ctx.alive()) await page.render(ctx, params);
    },
  };
}

const users = lazy(() => import("./pages/users.js"));
const audit = lazy(() => import("./pages/audit.js"));
const transfers = lazy(() => import("./pages/transfers.js"));
const schools = lazy(() => import("./pages/schools.js"));

export const ADMIN_ROUTES = [
  { path: "#/users", roles: ["admin"], page: users, nav: "Users" },
  { path: "#/users/new", roles: ["admin"], page: users, section: "new" },
  { path: "#/users/:id", roles: ["admin"], page: users },
  { path: "#/transfers", roles: ["admin"], page: transfers, nav: "Imports and exports" },
  { path: "#/transfers", roles: ["staff", "bursar"], page: transfers, nav: "Exports" },
  { path: "#/jobs/:id", roles: ["admin", "staff", "bursar"], page: transfers },
  { path: "#/schools", roles: ["platform_admin"], page: schools, nav: "Schools" },
  { path: "#/schools/new", roles: ["platform_admin"], page: schools, section: "new" },
  { path: "#/schools/:id", roles: ["platform_admin"], page: schools },
  { path: "#/audit", roles: ["admin", "platform_admin"], page: audit, nav: "Audit trail" },
  { path: "#/audit/actor/:actorId", roles: ["admin"], page: audit },
];
