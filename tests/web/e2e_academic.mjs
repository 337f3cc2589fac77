// e2e_academic.mjs - the scenarios of the office's academic pages (guardians, teachers, the school year's terms
// and holidays, subjects, moving and deleting lessons, a student's transfer), run by e2e.mjs like its own:
// academicScenarios(t) gets e2e.mjs's helpers (t.open, t.axe, t.shot, t.heading, t.signIn, t.check) and inputs
// (t.APP, t.ARGS, t.PHONE, t.DESKTOP) and answers {name: async (browser) => result}.

const ISO = /\b\d{4}-\d{2}-\d{2}\b/;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-/;

export function academicScenarios(t) {
  const { APP, ARGS, PHONE, DESKTOP, axe, shot, heading, check } = t;

  async function admin(browser, viewport, hash) {
    const page = await t.open(browser, viewport);
    await page.goto(APP + "/" + (hash || ""));
    await t.signIn(page, "admin@demo.school");
    return page;
  }

  /** The API's PATCH of a record from the page's session, as another person's edit meanwhile would be. */
  function elsewhere(page, path, body) {
    return page.evaluate(async ([p, b]) => {
      const s = JSON.parse(sessionStorage.getItem("erp.session"));
      const auth = { authorization: "Bearer " + s.accessToken };
      const got = await fetch(p, { headers: auth });
      const r = await fetch(p, { method: "PATCH", body: JSON.stringify(b),
        headers: { ...auth, "content-type": "application/json", "if-match": got.headers.get("etag") } });
      return r.status;
    }, [path, body]);
  }

  const text = (page, sel) => page.textContent(sel);

  return {
    // A guardian added (the API's field error next to the field), linked to two students, one unlinked, edited
    // while someone else saved a change (said plainly, the saved record offered); the student's page links them.
    async guardians(browser) {
      const page = await admin(browser, PHONE);
      await heading(page, "Students");
      // a search typed while the first list loads (held back here): drawn later, that list leaves the focus in
      // the box, so the Enter that follows searches (the page's heading took it, and the keys went nowhere)
      const firstList = /\/api\/v1\/guardians\?limit=50$/;
      await page.route(firstList, async (r) => {
        await new Promise((done) => setTimeout(done, 700));
        await r.continue();
      });
      await page.locator(".bar nav a", { hasText: "Guardians" }).click();
      await heading(page, "Guardians");
      await page.fill("#q", "zzzz-nobody");
      await page.locator("table.guardians").waitFor();
      await page.unroute(firstList);
      await page.keyboard.press("Enter");
      await page.locator(".empty", { hasText: "No guardian matches" }).waitFor();
      check(/New guardian/.test(await text(page, ".empty")), "the empty search says what to do next");
      await axe(page, "guardians");
      await page.locator("a.button", { hasText: "New guardian" }).click();
      await heading(page, "New guardian");
      await page.fill("#lastName", ARGS.lastName);
      await page.fill("#email", "not an email");
      await page.click("form.record button[type=submit]");
      await page.locator('#firstName[aria-invalid="true"]').waitFor();
      check(/^First name \S/.test(await text(page, "#firstName-error")), "the first name's message: " + await text(page, "#firstName-error"));
      check(/^Email \S/.test(await text(page, "#email-error")), "the email's message is next to it");
      await axe(page, "new guardian with errors");
      await shot(page, "admin-guardian-errors");
      await page.fill("#firstName", ARGS.firstName);
      await page.fill("#email", "");
      await page.fill("#phone", "+1 555 0142");
      await page.click("form.record button[type=submit]");
      await page.locator(".notice.ok", { hasText: "is added" }).waitFor();
      const id = /#\/guardians\/([^/]+)$/.exec(page.url())[1];
      await page.locator(".empty", { hasText: "No student is linked" }).waitFor();

      for (const [sid, relation] of [[ARGS.studentId, "mother"], [ARGS.otherId, "grandparent"]]) {
        await page.fill("#find", ARGS.admission[sid]);
        await page.locator("button", { hasText: "Find" }).click();
        await page.locator(`#studentId option[value="${sid}"]`).waitFor({ state: "attached" });
        await page.selectOption("#studentId", sid);
        await page.selectOption("#relationship", relation);
        if (relation === "mother") await page.check("#isPrimary");
        await page.locator("form.record button[type=submit]", { hasText: "Link" }).click();
        await page.locator(".notice.ok", { hasText: "is linked to" }).waitFor();
        await page.locator(`table.links a[href="#/students/${sid}"]`).waitFor();
      }
      await axe(page, "guardian with children");
      await shot(page, "admin-guardian");
      await page.locator(`button[aria-label="Unlink ${ARGS.names[ARGS.otherId]}"]`).click();
      await page.locator("button", { hasText: "Yes, unlink" }).click();
      await page.locator(".notice.ok", { hasText: "no longer linked" }).waitFor();
      check((await page.locator("table.links tbody tr").count()) === 1, "one student is left linked");

      await page.locator("a.button", { hasText: "Edit details" }).click();
      await heading(page, "Edit ");
      await page.fill("#phone", "+1 555 0199");
      const other = await elsewhere(page, `/api/v1/guardians/${id}`, { occupation: "Nurse" });
      check(other === 200, "the other change was saved: " + other);
      await page.click("form.record button[type=submit]");
      await page.locator(".notice.error", { hasText: "someone else changed this guardian" }).waitFor();
      await axe(page, "guardian edit conflict");
      await page.keyboard.press("Enter"); // "Show the saved record" has the focus
      await page.locator(".notice.info", { hasText: "as it is saved now" }).waitFor();
      check((await page.inputValue("#occupation")) === "Nurse", "the saved record is shown");
      await page.fill("#phone", "+1 555 0199");
      await page.click("form.record button[type=submit]");
      await page.locator(".notice.ok", { hasText: "are saved" }).waitFor();

      await page.goto(APP + `/#/students/${ARGS.studentId}`);
      await page.locator(`ul.guardians a[href="#/guardians/${id}"]`).waitFor();
      check(/mother, primary/.test(await text(page, "ul.guardians")), "the student's page says how they are linked");
      await axe(page, "student with guardians");
      await shot(page, "admin-student-guardians");
      await page.locator(`ul.guardians a[href="#/guardians/${id}"]`).click();
      await heading(page, ARGS.firstName);
      await page.setViewportSize(DESKTOP);
      await page.goto(APP + "/#/guardians");
      await page.fill("#q", ARGS.lastName);
      await page.keyboard.press("Enter");
      await page.locator("table.guardians caption", { hasText: ARGS.lastName }).waitFor();
      const found = await page.$$eval("table.guardians tbody a", (as) => as.map((a) => a.getAttribute("href").split("/").pop()));
      await shot(page, "admin-guardians");
      return { id, found, errors: page.errors };
    },

    // Teachers: the list, one added (the API's 409 for a used employee number next to the field), deactivated;
    // an existing teacher's classes and subjects.
    async teachers(browser) {
      const page = await admin(browser, DESKTOP);
      await heading(page, "Students");
      await page.locator(".bar nav a", { hasText: "Teachers" }).click();
      await heading(page, "Teachers");
      await page.locator("table.teachers").waitFor();
      await axe(page, "teachers");
      await shot(page, "admin-teachers");
      await page.locator("a.button", { hasText: "New teacher" }).click();
      await heading(page, "New teacher");
      await page.fill("#employeeNo", ARGS.takenNo);
      await page.fill("#firstName", "Ada");
      await page.fill("#lastName", ARGS.lastName);
      await page.fill("#hiredOn", "2027-08-16");
      await page.click("form.record button[type=submit]");
      await page.locator('#employeeNo-error:not([hidden])').waitFor();
      const said = await text(page, "#employeeNo-error");
      check(said === `Employee number ${ARGS.takenNo} is already used by another teacher.`, "the 409 is next to the number: " + said);
      check(/^Not saved: employee number/.test(await text(page, ".form-status")), "and said above the form");
      await axe(page, "new teacher with a used number");
      await page.fill("#employeeNo", ARGS.employeeNo);
      await page.click("form.record button[type=submit]");
      await page.locator(".notice.ok", { hasText: "is added" }).waitFor();
      const id = /#\/teachers\/([^/]+)$/.exec(page.url())[1];
      await page.locator(".empty", { hasText: "teaches no class" }).waitFor();
      check((await text(page, "dl.facts")).includes("August 16, 2027"), "the hiring date in the reader's words");
      await page.locator("button", { hasText: "Deactivate" }).click();
      await page.locator(".notice.ok", { hasText: "is deactivated" }).waitFor();
      await page.locator("button", { hasText: "Reactivate" }).waitFor();
      await page.goto(APP + "/#/teachers");
      await page.locator("table.teachers").waitFor();
      check(!(await text(page, "table.teachers")).includes(ARGS.lastName), "an inactive teacher is not among the active");
      await page.selectOption("#status", "inactive");
      await page.locator("table.teachers", { hasText: ARGS.lastName }).waitFor();

      await page.setViewportSize(PHONE);
      await page.goto(APP + `/#/teachers/${ARGS.teacherId}`);
      await page.locator("table.taught").waitFor();
      const classes = await page.$$eval("table.taught tbody th a", (as) => as.map((a) => a.textContent));
      await axe(page, "teacher");
      await shot(page, "admin-teacher");
      return { id, classes, errors: page.errors };
    },

    // The school year: a year created and renamed; a term added (with its weekdays), one that overlaps refused,
    // Term 1 refused a start that drops marked days, holidays added (a marked day and a taken date refused in
    // plain words) and one removed.
    async calendar(browser) {
      const page = await admin(browser, PHONE);
      await heading(page, "Students");
      await page.locator(".bar nav a", { hasText: "School year" }).click();
      await heading(page, "School years");
      await axe(page, "years");
      await page.locator("a.button", { hasText: "New school year" }).click();
      await heading(page, "New school year");
      await page.fill("#name", ARGS.newYear);
      await page.fill("#startDate", ARGS.newYearStart);
      await page.fill("#endDate", "2028-01-01");
      await page.click("form.record button[type=submit]");
      await page.locator('#endDate[aria-invalid="true"], .form-status .notice.error').first().waitFor();
      await page.fill("#endDate", ARGS.newYearEnd);
      await page.click("form.record button[type=submit]");
      await page.locator(".notice.ok", { hasText: "is created" }).waitFor();
      await page.locator(".empty", { hasText: "no terms yet" }).waitFor();
      await page.locator("a.button", { hasText: "Edit the year" }).click();
      await heading(page, "Edit school year");
      await page.fill("#name", ARGS.newYear + " (planned)");
      await page.click("form.record button[type=submit]");
      await page.locator(".notice.ok", { hasText: "are saved" }).waitFor();

      await page.goto(APP + `/#/years/${ARGS.yearId}`);
      await heading(page, "School year");
      await page.locator("table.terms").waitFor();
      await axe(page, "year");
      await shot(page, "admin-year");
      const addTerm = async (name, start, end, days = null) => {
        await page.fill("#name", name);
        await page.fill("#startDate", start);
        await page.fill("#endDate", end);
        if (days) for (const d of ["monday", "tuesday", "wednesday", "thursday", "friday"]) await page.setChecked(`#weekdays-${d}`, days.includes(d));
        await page.locator("form.record button[type=submit]", { hasText: "Add term" }).click();
      };
      await addTerm("Overlap", ARGS.overlapStart, ARGS.overlapEnd);
      const overlap = page.locator(".form-status .notice.error");
      await overlap.waitFor();
      const overlapSaid = await overlap.textContent();
      check(/^Not saved: the dates overlap term/.test(overlapSaid) && !ISO.test(overlapSaid), "the overlap said plainly: " + overlapSaid);
      await addTerm(ARGS.termName, ARGS.termStart, ARGS.termEnd, ["monday", "tuesday", "wednesday", "thursday"]);
      await page.locator(".notice.ok", { hasText: `${ARGS.termName} is added` }).waitFor();
      check((await text(page, "table.terms")).includes("Monday to Thursday"), "the new term's school days");

      await page.locator(`a[aria-label="Edit ${ARGS.editTerm}"]`).click();
      await heading(page, `Edit ${ARGS.editTerm}`);
      await page.fill("#startDate", ARGS.laterStart);
      await page.click("form.record button[type=submit]");
      const marked = page.locator(".form-status .notice.error");
      await marked.waitFor();
      const markedSaid = await marked.textContent();
      check(/^Not saved: registers were marked on .+, which the term would no longer hold/.test(markedSaid) && !ISO.test(markedSaid),
        "the marked days said plainly: " + markedSaid);
      await axe(page, "term edit refused");
      await shot(page, "admin-term-refused");
      await page.locator("a", { hasText: "Cancel" }).click();
      await heading(page, "School year");

      const addHoliday = async (date, name) => {
        await page.fill("#date", date);
        await page.fill("#holidayName", name);
        await page.locator("form.record button[type=submit]", { hasText: "Add holiday" }).click();
      };
      await addHoliday(ARGS.markedDay, "Storm day");
      const storm = page.locator(".form-status .notice.error", { hasText: "Not added" });
      await storm.waitFor();
      const stormSaid = await storm.textContent();
      check(/registers were marked on .+; it cannot become a holiday/.test(stormSaid) && !ISO.test(stormSaid), "a marked day said plainly: " + stormSaid);
      await addHoliday(ARGS.takenHoliday, "Twice");
      await page.locator('#date-error:not([hidden])').waitFor();
      const taken = await text(page, "#date-error");
      check(/is already a holiday\.$/.test(taken) && !ISO.test(taken), "a taken date next to the date: " + taken);
      await axe(page, "holiday refused");
      await shot(page, "admin-holiday-refused");
      for (const [date, name] of ARGS.holidays) {
        await addHoliday(date, name);
        await page.locator(".notice.ok", { hasText: `is a holiday: ${name}` }).waitFor();
      }
      const [gone, goneName] = ARGS.holidays[1];
      await page.locator("ul.holidays li", { hasText: goneName }).locator("button", { hasText: "Remove" }).click();
      await page.locator("button", { hasText: "Yes, remove" }).click();
      await page.locator(".notice.ok", { hasText: "is no longer a holiday" }).waitFor();
      await axe(page, "year after changes");
      return { gone, errors: page.errors };
    },

    // Subjects: one created (a used code refused next to the field) and renamed, from the classes page.
    async subjects(browser) {
      const page = await admin(browser, PHONE, "#/classes");
      await heading(page, "Classes and subjects");
      await page.locator("a.button", { hasText: "New subject" }).click();
      await heading(page, "New subject");
      await page.fill("#code", ARGS.takenCode);
      await page.fill("#name", "Web design");
      await page.click("form.record button[type=submit]");
      await page.locator('#code-error:not([hidden])').waitFor();
      check((await text(page, "#code-error")) === `Subject code ${ARGS.takenCode} is already used.`, "the used code: " + await text(page, "#code-error"));
      await axe(page, "new subject refused");
      await page.fill("#code", ARGS.code);
      await page.click("form.record button[type=submit]");
      await page.locator(".notice.ok", { hasText: `Web design (${ARGS.code}) is created` }).waitFor();
      await page.locator('a[aria-label="Edit Web design"]').click();
      await heading(page, "Edit subject Web design");
      await page.fill("#name", "Web design and media");
      await page.click("form.record button[type=submit]");
      await page.locator(".notice.ok", { hasText: "are saved" }).waitFor();
      check((await text(page, "table.subjects")).includes("Web design and media"), "the list shows the new name");
      await axe(page, "subjects");
      return { errors: page.errors };
    },

    // Lessons in a class's grid: one deleted, a move onto the class's own lesson refused (said plainly), a move
    // to the freed cell (in another room) shown there.
    async lessons(browser) {
      const page = await admin(browser, DESKTOP, `#/classes/${ARGS.classId}/timetable`);
      await heading(page, "Timetable of");
      await page.locator(`[data-slot="${ARGS.deleteId}"] button.change`).click();
      await page.locator("button", { hasText: "Delete lesson" }).click();
      await page.locator("button", { hasText: "Yes, delete" }).click();
      await page.locator(".notice.ok", { hasText: "is deleted" }).waitFor();
      check((await page.locator(`[data-slot="${ARGS.deleteId}"]`).count()) === 0, "the deleted lesson is gone from the grid");

      await page.locator(`[data-slot="${ARGS.slotId}"] button.change`).click();
      check(await page.evaluate(() => document.activeElement.id === "move-title"), "the move's form has the focus");
      await page.selectOption("#to-weekday", String(ARGS.clash.weekday));
      await page.selectOption("#to-period", ARGS.clash.period);
      await page.locator("button", { hasText: "Move lesson" }).click();
      const refused = page.locator("section.move .notice.error");
      await refused.waitFor();
      const said = await refused.textContent();
      check(/^Not moved: .*the class is already booked on/.test(said) && !UUID.test(said), "the clash said plainly: " + said);
      await axe(page, "lesson move refused");
      await shot(page, "admin-lesson-clash");
      await page.selectOption("#to-weekday", String(ARGS.to.weekday));
      await page.selectOption("#to-period", ARGS.to.period);
      await page.fill("#to-room", ARGS.to.room);
      await page.locator("button", { hasText: "Move lesson" }).click();
      await page.locator(".notice.ok", { hasText: "is moved to" }).waitFor();
      const cell = await page.evaluate((id) => {
        const td = document.querySelector(`[data-slot="${id}"]`).closest("td");
        return { day: td.closest("table").querySelectorAll("thead th")[td.cellIndex].textContent,
          period: td.parentElement.querySelector("th").textContent };
      }, ARGS.slotId);
      check(cell.day === ARGS.to.day && cell.period === ARGS.to.period.replace("-", "–"), "the lesson is in its new cell: " + JSON.stringify(cell));
      await shot(page, "admin-lesson-moved");
      await page.setViewportSize(PHONE);
      await axe(page, "timetable after changes");
      await shot(page, "admin-timetable-phone");
      return { cell, errors: page.errors };
    },

    // A student transferred (a day with attendance refused in plain words), another's enrollment ended.
    async transfer(browser) {
      const page = await admin(browser, PHONE, `#/students/${ARGS.studentId}`);
      await page.locator("h2", { hasText: "Transfer from" }).waitFor();
      await axe(page, "student with transfer");
      await page.selectOption("#transferClass", ARGS.toClass);
      await page.fill("#transferDate", ARGS.markedDay);
      await page.fill("#transferReason", "Parents asked");
      await page.locator("button", { hasText: "Transfer" }).click();
      const refused = page.locator(".form-status .notice.error");
      await refused.waitFor();
      const said = await refused.textContent();
      check(/^Not transferred: /.test(said) && !ISO.test(said) && !UUID.test(said), "the refusal said plainly: " + said);
      await shot(page, "admin-transfer-refused");
      await page.fill("#transferDate", ARGS.nextDay);
      await page.locator("button", { hasText: "Transfer" }).click();
      await page.locator(".notice.ok", { hasText: `moves to ${ARGS.toName}` }).waitFor();
      await page.locator(".notice.info", { hasText: "until" }).waitFor();

      await page.goto(APP + `/#/students/${ARGS.leaverId}`);
      await page.locator("h2", { hasText: "End the enrollment" }).waitFor();
      await page.fill("#endDate", ARGS.nextDay);
      await page.fill("#endReason", "Moved to another school");
      await page.locator("button", { hasText: "End the enrollment" }).click();
      await page.locator(".notice.ok", { hasText: "(Moved to another school)" }).waitFor();
      await axe(page, "student leaving");
      await shot(page, "admin-student-leaving");
      return { errors: page.errors };
    },
  };
}
