// main.js - the app shell: sign-in, the bar with the role's navigation and sign-out, and the page of the URL.

import { call, get } from "./api.js";
import { fill, h } from "./dom.js";
import { resolve } from "./router.js";
import { end, onEnd, schedule, session } from "./session.js";
import { ADMIN_ROUTES } from "./adminroutes.js";
import * as login from "./pages/login.js";
import * as today from "./pages/today.js";
import * as register from "./pages/register.js";
import * as children from "./pages/children.js";
import * as child from "./pages/child.js";
import * as announcements from "./pages/announcements.js";
import * as gradebook from "./pages/gradebook.js";
import * as students from "./pages/students.js";
import * as studentForm from "./pages/studentform.js";
import * as classes from "./pages/classes.js";
import * as timetable from "./pages/timetable.js";
import * as notFound from "./pages/notfound.js";
import * as account from "./pages/account.js";
import { ACADEMIC_ROUTES } from "./academicroutes.js";

const ROUTES = [
  { path: "#/today", roles: ["teacher"], page: today, nav: "Today" },
  { path: "#/register/:classId/:date", roles: ["teacher", "admin"], page: register },
  { path: "#/gradebook", roles: ["teacher"], page: gradebook, nav: "Gradebook" },
  { path: "#/gradebook/:classId/:subjectId", roles: ["teacher", "admin", "staff"], page: gradebook },
  { path: "#/marks/:assessmentId", roles: ["teacher", "admin"], page: gradebook },
  { path: "#/children", roles: ["parent"], page: children, nav: "My children" },
  { path: "#/children", roles: ["student"], page: children, nav: "My record" },
  { path: "#/children/:id", roles: ["parent", "student"], page: child },
  { path: "#/children/:id/:section", roles: ["parent", "student"], page: child },
  { path: "#/children/:id/attendance/:month", roles: ["parent", "student"], page: child, section: "attendance" },
  { path: "#/students", roles: ["admin", "staff"], page: students, nav: "Students" },
  { path: "#/announcements", roles: ["parent", "student", "teacher", "admin", "staff"], page: announcements, nav: "Announcements" },
  { path: "#/students/new", roles: ["admin", "staff"], page: studentForm },
  { path: "#/students/:id/edit", roles: ["admin", "staff"], page: studentForm },
  { path: "#/students/:id", roles: ["admin", "staff", "teacher"], page: students },
  { path: "#/classes", roles: ["admin", "staff"], page: classes, nav: "Classes" },
  { path: "#/classes/new", roles: ["admin"], page: classes, section: "new" },
  { path: "#/classes/:id/edit", roles: ["admin"], page: classes, section: "edit" },
  { path: "#/classes/:id/timetable", roles: ["admin", "staff"], page: timetable },
  { path: "#/classes/:id", roles: ["admin", "staff"], page: classes },
  { path: "#/account", roles: ["platform_admin", "admin", "teacher", "staff", "student", "parent", "bursar"], page: account },
  ...ACADEMIC_ROUTES,
];

const main = document.getElementById("main");
const bar = document.getElementById("bar");
let me = null; // GET /api/v1/me
let generation = 0;
ROUTES.push(...ADMIN_ROUTES);

function home(roles) {
  const first = ROUTES.find((r) => r.nav && r.roles.some((x) => roles.includes(x)));
  return first ? first.path : "#/welcome";
}

function renderBar() {
  const roles = me.user.roles;
  const links = ROUTES.filter((r) => r.nav && r.roles.some((x) => roles.includes(x)));
  fill(
    bar,
    h("span", { class: "school" }, me.tenant ? me.tenant.name : "Platform"),
    h(
      "nav",
      { "aria-label": "Main" },
      links.map((r) =>
        h("a", { href: r.path, "aria-current": location.hash.startsWith(r.path) ? "page" : null }, r.nav),
      ),
    ),
    h("a", { class: "who", href: "#/account", title: "My account", "aria-current": location.hash === "#/account" ? "page" : null },
      me.user.displayName),
    h("button", { type: "button", class: "link", onclick: signOut }, "Sign out"),
  );
  bar.hidden = false;
}

async function signOut() {
  try {
    await call("POST", "/api/v1/auth/logout");
  } catch {
    // the session ends here whatever the server answered
  }
  end("logout");
}

/** What a page gets: where to draw, who is signed in, the school's time zone, whether it is still shown. */
function context() {
  const mine = ++generation;
  return {
    main,
    me,
    timeZone: (me.tenant && me.tenant.timeZone) || "UTC",
    alive: () => mine === generation,
  };
}

async function route() {
  if (location.hash && !location.hash.startsWith("#/")) return; // an in-page link (skip to content)
  if (!session()) return showLogin("", location.hash);
  if (!me) {
    try {
      me = await get("/api/v1/me");
    } catch {
      return; // the session ended: onEnd shows the sign-in
    }
  }
  if (!location.hash || location.hash === "#/" || location.hash === "#/login") {
    location.replace(home(me.user.roles));
    return;
  }
  renderBar();
  const found = resolve(ROUTES, location.hash, me.user.roles);
  const ctx = context();
  if (found) await found.route.page.render(ctx, found.route.section ? { ...found.params, section: found.route.section } : found.params);
  else if (location.hash === "#/welcome") welcome(ctx);
  else notFound.render(ctx);
  const title = main.querySelector("h1");
  if (title) {
    document.title = title.textContent + " · School ERP";
    // the heading takes the focus, unless the reader already moved it into the page while it loaded
    // (typing a search before the first list arrived: the keys must stay in the box)
    const at = document.activeElement;
    if (!(at && at !== main && main.contains(at))) title.focus();
  }
}

function welcome(ctx) {
  fill(ctx.main, h("h1", { tabindex: "-1" }, "Welcome"),
    h("p", {}, "There is no page for your role in the app yet; the API at /api/v1 serves everything."));
}

function showLogin(message, returnTo) {
  generation++;
  bar.hidden = true;
  login.render({ main, message, onSignedIn: (user) => signedIn(user, returnTo) });
  const title = main.querySelector("h1");
  if (title) document.title = "Sign in · School ERP";
}

async function signedIn(_user, returnTo) {
  me = null;
  if (returnTo && returnTo !== location.hash) location.hash = returnTo;
  else await route();
}

onEnd((reason) => {
  me = null;
  let message = reason === "logout" ? "You have signed out." : "Your session has ended. Sign in again to go on.";
  const kept = register.unsavedSummary();
  if (kept) message += ` Your unsaved register (${kept}) is kept on this device and comes back when you sign in.`;
  const marks = gradebook.unsavedSummary();
  if (marks) message += ` Your unsaved marks (${marks}) are kept on this device and come back when you sign in.`;
  if (reason === "logout") history.replaceState(null, "", "#/login");
  showLogin(message, reason === "logout" ? "" : location.hash);
});

window.addEventListener("hashchange", route);
schedule();
route();
