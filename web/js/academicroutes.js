// academicroutes.js - the routes of the office's academic pages, appended to the app's (main.js): guardians and
// teachers (admin and staff), the school year with its terms and holidays, subjects (admins).

import * as guardians from "./pages/guardians.js";
import * as teachers from "./pages/teachers.js";
import * as years from "./pages/years.js";
import * as subjects from "./pages/subjects.js";

const OFFICE = ["admin", "staff"];

export const ACADEMIC_ROUTES = [
  { path: "#/guardians", roles: OFFICE, page: guardians, nav: "Guardians" },
  { path: "#/guardians/new", roles: OFFICE, page: guardians, section: "new" },
  { path: "#/guardians/:id/edit", roles: OFFICE, page: guardians, section: "edit" },
  { path: "#/guardians/:id", roles: OFFICE, page: guardians },
  { path: "#/teachers", roles: OFFICE, page: teachers, nav: "Teachers" },
  { path: "#/teachers/new", roles: ["admin"], page: teachers, section: "new" },
  { path: "#/teachers/:id/edit", roles: ["admin"], page: teachers, section: "edit" },
  { path: "#/teachers/:id", roles: OFFICE, page: teachers },
  { path: "#/years", roles: ["admin"], page: years, nav: "School year" },
  { path: "#/years/new", roles: ["admin"], page: years, section: "new" },
  { path: "#/years/:id/edit", roles: ["admin"], page: years, section: "edit" },
  { path: "#/years/:id", roles: ["admin"], page: years },
  { path: "#/terms/:id/edit", roles: ["admin"], page: years, section: "term" },
  { path: "#/subjects/new", roles: ["admin"], page: subjects },
  { path: "#/subjects/:id/edit", roles: ["admin"], page: subjects },
];
