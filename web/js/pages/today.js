// pages/today.js - a teacher's day: the lessons of today's weekday in their timetable, each with its register.

import { get } from "../api.js";
import { empty, fill, h, heading, notice } from "../dom.js";
import { longDate, todayIn, weekday } from "../format.js";

/** The teacher record of the signed-in user (the API lists teachers by email; the link is userId). */
export async function myTeacher(me) {
  const list = await get("/api/v1/teachers?q=" + encodeURIComponent(me.user.email) + "&limit=10");
  return list.items.find((t) => t.userId === me.user.id) || null;
}

export async function render(ctx) {
  const date = todayIn(ctx.timeZone);
  fill(ctx.main, heading("Today"), h("p", { class: "muted" }, longDate(date)), h("p", { class: "muted" }, "Loading your lessons…"));
  let lessons, schoolDay = true;
  try {
    const teacher = await myTeacher(ctx.me);
    if (!teacher) {
      if (ctx.alive()) fill(ctx.main, heading("Today"), empty("Your account is not linked to a teacher record.", "Ask the school office to link it."));
      return;
    }
    const week = await get(`/api/v1/teachers/${teacher.id}/timetable`);
    const day = week.days.find((d) => d.weekday === weekday(date));
    lessons = day ? day.slots : [];
    const days = await get(`/api/v1/calendar/school-days?from=${date}&to=${date}`);
    schoolDay = days.count > 0;
  } catch (e) {
    if (ctx.alive()) fill(ctx.main, heading("Today"), notice("error", e.detail || String(e)));
    return;
  }
  if (!ctx.alive()) return;
  fill(
    ctx.main,
    heading("Today"),
    h("p", { class: "muted" }, longDate(date)),
    schoolDay ? null : notice("info", "Today is not a school day (a holiday, a weekend or between terms): there is no register to take."),
    lessons.length === 0
      ? empty("No lessons today.", "Your timetable has no lesson on this weekday. Registers of other days open from a class's page.")
      : h("ol", { class: "cards", "aria-label": "Today's lessons" },
          lessons.map((s) =>
            h("li", { class: "card" },
              h("div", { class: "time" }, `${s.startTime}–${s.endTime}`),
              h("div", { class: "what" }, h("strong", {}, s.className), " · ", s.subjectName, s.room ? ` · Room ${s.room}` : ""),
              h("a", { class: "button", href: `#/register/${s.classId}/${date}` }, `Register of ${s.className}`),
            ),
          ),
        ),
  );
}
