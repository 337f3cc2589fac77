"""
access.py - who may call what: the expected role x operation table of the API.

Written from the contract (/work/shared/API.md) and README.md, independently
of the server's route table (src/api/routes.c) and of the OpenAPI document it
generates from it: an oracle the server cannot change by changing itself.
test_isolation.py checks the served document's x-roles against it in both
directions, calls every operation as every role (403 for each role a row
leaves out, never 403 for one it names), and lists every collection as each
role a row names. An operation the server serves without a row here fails
that check, naming it: a new route gets its row, deliberately.

What the documents say, and the rows that follow from it:

* platform_admin manages schools (tenants) and has no school of its own;
* in a school, admins manage accounts and the school's structure (years,
  terms, holidays, subjects, classes, teachers, the timetable) and may delete;
* staff do the office work: students, guardians and their links, enrollments
  (admission, transfer, leaving; deleting a mistaken one is an admin's);
* teachers read the classes they teach, their students and timetables, and
  write those classes' attendance;
* students and parents read their own (their record, their class, its
  timetable and subjects, their attendance; a parent their children's and
  their guardian record);
* everyone in a school reads the school's calendar and subjects;
* admins and bursars keep the money (invoices, payments); parents and students
  read their own invoices and balances; a bursar reads the school like the office;
* every account reads itself, changes its password and logs out; a school's
  accounts edit their own contact details; anyone may ask for a reset link;
* admins announce to anyone, teachers to the classes they teach and their guardians; everyone reads what
  reaches them; admins keep the absence alerts; parents choose whether they get them.
"""

PUBLIC = frozenset({"public"})
ADMIN = frozenset({"admin"})
OPERATOR = frozenset({"platform_admin"})
SCHOOL = frozenset({"admin", "teacher", "staff", "student", "parent", "bursar"})
EVERYONE = OPERATOR | SCHOOL  # every account, signed in
OFFICE = frozenset({"admin", "staff"})
MONEY = frozenset({"admin", "bursar"})
MONEY_READERS = MONEY | {"parent", "student"}
STAFFROOM = frozenset({"admin", "teacher", "staff"})  # the school's adults: teachers read what they teach

V1 = "/api/v1"
OR = "/ims/oneroster/v1p1"
OR_COLLECTIONS = ("orgs", "schools", "academicSessions", "terms", "gradingPeriods", "courses", "classes", "users",
                  "students", "teachers", "enrollments", "demographics", "categories", "lineItems", "results")
OR_NESTED = (("schools", "classes"), ("schools", "courses"), ("schools", "enrollments"), ("schools", "students"),
             ("schools", "teachers"), ("schools", "terms"), ("terms", "classes"), ("courses", "classes"),
             ("classes", "students"), ("classes", "teachers"), ("students", "classes"), ("teachers", "classes"),
             ("classes", "lineItems"), ("lineItems", "results"))

# (METHOD, path template) -> the roles allowed ("public": no token needed)
TABLE = {
    # operations, and the test routes a test server adds (ERP_ENABLE_TEST_ROUTES)
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", f"{V1}/openapi.json"): PUBLIC,
    ("GET", f"{V1}/version"): PUBLIC,
    ("GET", f"{V1}/_test/sleep"): PUBLIC,
    ("GET", f"{V1}/_test/fail"): PUBLIC,
    ("POST", f"{V1}/_test/echo"): PUBLIC,
    ("POST", f"{V1}/_test/transaction"): PUBLIC,
    ("POST", f"{V1}/_test/jobs"): SCHOOL,
    # auth
    ("POST", f"{V1}/auth/login"): PUBLIC,
    ("POST", f"{V1}/auth/refresh"): PUBLIC,
    ("POST", f"{V1}/auth/logout"): EVERYONE,
    ("POST", f"{V1}/auth/password"): EVERYONE,
    ("GET", f"{V1}/me"): EVERYONE,
    # schools: the platform's operators
    ("POST", f"{V1}/tenants"): OPERATOR,
    ("GET", f"{V1}/tenants"): OPERATOR,
    ("GET", f"{V1}/tenants/{{id}}"): OPERATOR,
    ("PATCH", f"{V1}/tenants/{{id}}"): OPERATOR,
    # accounts: a school's admins; the audit trail: admins, and operators for the platform's own events
    ("POST", f"{V1}/users"): ADMIN,
    ("GET", f"{V1}/users"): ADMIN,
    ("GET", f"{V1}/users/{{id}}"): ADMIN,
    ("PATCH", f"{V1}/users/{{id}}"): ADMIN,
    ("GET", f"{V1}/audit-events"): ADMIN | OPERATOR,
    # the calendar and subjects: everyone in the school reads them, admins write them
    ("POST", f"{V1}/academic-years"): ADMIN,
    ("GET", f"{V1}/academic-years"): SCHOOL,
    ("GET", f"{V1}/academic-years/current"): SCHOOL,
    ("GET", f"{V1}/academic-years/{{id}}"): SCHOOL,
    ("PATCH", f"{V1}/academic-years/{{id}}"): ADMIN,
    ("DELETE", f"{V1}/academic-years/{{id}}"): ADMIN,
    ("POST", f"{V1}/terms"): ADMIN,
    ("GET", f"{V1}/terms"): SCHOOL,
    ("GET", f"{V1}/terms/{{id}}"): SCHOOL,
    ("PATCH", f"{V1}/terms/{{id}}"): ADMIN,
    ("DELETE", f"{V1}/terms/{{id}}"): ADMIN,
    ("POST", f"{V1}/holidays"): ADMIN,
    ("GET", f"{V1}/holidays"): SCHOOL,
    ("GET", f"{V1}/holidays/{{date}}"): SCHOOL,
    ("DELETE", f"{V1}/holidays/{{date}}"): ADMIN,
    ("GET", f"{V1}/calendar/school-days"): SCHOOL,
    ("POST", f"{V1}/subjects"): ADMIN,
    ("GET", f"{V1}/subjects"): SCHOOL,
    ("GET", f"{V1}/subjects/{{id}}"): SCHOOL,
    ("PATCH", f"{V1}/subjects/{{id}}"): ADMIN,
    ("DELETE", f"{V1}/subjects/{{id}}"): ADMIN,
    # classes: the staffroom lists them (teachers those they teach); a student or parent reads their own class,
    # its subjects and its roster
    ("POST", f"{V1}/classes"): ADMIN,
    ("GET", f"{V1}/classes"): STAFFROOM,
    ("GET", f"{V1}/classes/{{id}}"): SCHOOL,
    ("PATCH", f"{V1}/classes/{{id}}"): ADMIN,
    ("DELETE", f"{V1}/classes/{{id}}"): ADMIN,
    ("GET", f"{V1}/classes/{{id}}/subjects"): SCHOOL,
    ("POST", f"{V1}/classes/{{id}}/subjects"): ADMIN,
    ("GET", f"{V1}/classes/{{id}}/subjects/{{assignmentId}}"): SCHOOL,
    ("PATCH", f"{V1}/classes/{{id}}/subjects/{{assignmentId}}"): ADMIN,
    ("DELETE", f"{V1}/classes/{{id}}/subjects/{{assignmentId}}"): ADMIN,
    ("GET", f"{V1}/classes/{{id}}/students"): SCHOOL,
    # enrollment: the office's work; deleting a mistaken one is an admin's; teachers read their classes'
    ("POST", f"{V1}/enrollments"): OFFICE,
    ("GET", f"{V1}/enrollments"): STAFFROOM,
    ("GET", f"{V1}/enrollments/{{id}}"): STAFFROOM,
    ("DELETE", f"{V1}/enrollments/{{id}}"): ADMIN,
    ("POST", f"{V1}/enrollments/{{id}}/transfer"): OFFICE,
    ("POST", f"{V1}/enrollments/{{id}}/end"): OFFICE,
    # people
    ("POST", f"{V1}/teachers"): ADMIN,
    ("GET", f"{V1}/teachers"): STAFFROOM,
    ("GET", f"{V1}/teachers/{{id}}"): STAFFROOM,
    ("PATCH", f"{V1}/teachers/{{id}}"): ADMIN,
    ("POST", f"{V1}/students"): OFFICE,
    ("GET", f"{V1}/students"): SCHOOL,
    ("GET", f"{V1}/students/{{id}}"): SCHOOL,
    ("PATCH", f"{V1}/students/{{id}}"): OFFICE,
    ("DELETE", f"{V1}/students/{{id}}"): ADMIN,
    ("GET", f"{V1}/me/students"): frozenset({"student", "parent"}),
    ("POST", f"{V1}/guardians"): OFFICE,
    ("GET", f"{V1}/guardians"): OFFICE,
    ("GET", f"{V1}/guardians/{{id}}"): STAFFROOM | {"parent"},
    ("PATCH", f"{V1}/guardians/{{id}}"): OFFICE,
    ("GET", f"{V1}/guardians/{{id}}/students"): OFFICE | {"parent"},
    ("GET", f"{V1}/students/{{id}}/guardians"): SCHOOL,
    ("PUT", f"{V1}/students/{{id}}/guardians/{{guardianId}}"): OFFICE,
    ("DELETE", f"{V1}/students/{{id}}/guardians/{{guardianId}}"): OFFICE,
    # attendance: teachers (of the class) and admins mark; the office reads every report
    ("PUT", f"{V1}/classes/{{id}}/attendance/{{date}}"): frozenset({"admin", "teacher"}),
    ("GET", f"{V1}/classes/{{id}}/attendance/{{date}}"): STAFFROOM,
    ("GET", f"{V1}/students/{{id}}/attendance"): SCHOOL,
    ("GET", f"{V1}/reports/attendance"): STAFFROOM,
    ("GET", f"{V1}/reports/attendance/daily"): OFFICE,
    # timetable: admins build it, the office reads its slots; everyone reads their class's week, the
    # staffroom a teacher's
    ("POST", f"{V1}/timetable-slots"): ADMIN,
    ("GET", f"{V1}/timetable-slots"): OFFICE,
    ("GET", f"{V1}/timetable-slots/{{id}}"): OFFICE,
    ("PATCH", f"{V1}/timetable-slots/{{id}}"): ADMIN,
    ("DELETE", f"{V1}/timetable-slots/{{id}}"): ADMIN,
    ("GET", f"{V1}/classes/{{id}}/timetable"): SCHOOL,
    ("GET", f"{V1}/teachers/{{id}}/timetable"): STAFFROOM,
    # background jobs: everyone in a school reads and cancels the jobs they asked for (admins: the school's)
    ("GET", f"{V1}/jobs"): SCHOOL,
    ("GET", f"{V1}/jobs/{{id}}"): SCHOOL,
    ("DELETE", f"{V1}/jobs/{{id}}"): SCHOOL,
    # imports (admins), exports (the office) and printed registers (the staffroom: teachers for their classes)
    ("POST", f"{V1}/imports/{{kind}}"): ADMIN,
    ("GET", f"{V1}/imports/{{kind}}/template"): ADMIN,
    ("GET", f"{V1}/exports/{{kind}}"): OFFICE | {"bursar"},  # invoices and payments: the bursar and admins only
    ("POST", f"{V1}/reports/attendance-register"): STAFFROOM,
    ("POST", f"{V1}/report-cards"): STAFFROOM,  # teachers: the class teacher of the class
    # files: the office uploads; readers are held to the student policy in the handler
    ("POST", f"{V1}/files"): OFFICE,
    ("GET", f"{V1}/files/{{id}}"): SCHOOL,
    ("GET", f"{V1}/files/{{id}}/content"): SCHOOL,
    ("GET", f"{V1}/files/{{id}}/url"): SCHOOL,
    ("GET", "/files/signed/{id}"): PUBLIC,
    ("GET", f"{V1}/students/{{id}}/files"): SCHOOL,
    ("PUT", f"{V1}/students/{{id}}/photo"): OFFICE,
    # assessment: admins set scales, weights and publish; the subject's teachers (and admins) create assessments
    # and mark them; the staffroom reads sheets; everyone reads the scales and a student's grades (students and
    # parents their own, once published)
    ("POST", f"{V1}/grading-scales"): ADMIN,
    ("GET", f"{V1}/grading-scales"): SCHOOL,
    ("GET", f"{V1}/grading-scales/{{id}}"): SCHOOL,
    ("PATCH", f"{V1}/grading-scales/{{id}}"): ADMIN,
    ("DELETE", f"{V1}/grading-scales/{{id}}"): ADMIN,
    ("PUT", f"{V1}/subjects/{{id}}/grade-weights"): ADMIN,
    ("POST", f"{V1}/assessments"): frozenset({"admin", "teacher"}),
    ("GET", f"{V1}/assessments/{{id}}"): STAFFROOM,
    ("PATCH", f"{V1}/assessments/{{id}}"): frozenset({"admin", "teacher"}),
    ("PUT", f"{V1}/assessments/{{id}}/marks"): frozenset({"admin", "teacher"}),
    ("GET", f"{V1}/assessments/{{id}}/marks"): STAFFROOM,
    ("GET", f"{V1}/students/{{id}}/grades"): SCHOOL,
    ("GET", f"{V1}/classes/{{id}}/gradebook"): STAFFROOM,
    ("PUT", f"{V1}/students/{{id}}/remarks/{{termId}}"): frozenset({"admin", "teacher"}),
    ("GET", f"{V1}/students/{{id}}/report-cards/{{termId}}"): SCHOOL,
    ("GET", f"{V1}/students/{{id}}/report-cards/{{termId}}/pdf"): SCHOOL,
    ("POST", f"{V1}/terms/{{id}}/publish-grades"): ADMIN,
    # fees: admins and the bursar keep the money; parents read their children's invoices and balances, students
    # their own; teachers and staff see nothing of it
    ("POST", f"{V1}/invoices"): MONEY,
    ("GET", f"{V1}/invoices/{{id}}"): MONEY_READERS,
    ("POST", f"{V1}/invoices/{{id}}/issue"): MONEY,
    ("POST", f"{V1}/invoices/{{id}}/credit-notes"): MONEY,
    ("POST", f"{V1}/invoices/{{id}}/void"): MONEY,
    ("POST", f"{V1}/payments"): MONEY,
    ("POST", f"{V1}/refunds"): MONEY,
    ("GET", f"{V1}/reports/fees/outstanding"): MONEY,
    ("GET", f"{V1}/reports/fees/collections"): MONEY,
    ("GET", f"{V1}/students/{{id}}/balance"): MONEY_READERS,
    ("GET", f"{V1}/students/{{id}}/statement"): MONEY_READERS,
    ("POST", f"{V1}/payments/webhooks/{{provider}}"): PUBLIC,  # signed by the provider, not by an account
    # fee setup: items, structures, bulk invoicing and discounts are the money-keepers'; a family reads its
    # discounts and invoices
    ("POST", f"{V1}/fee-items"): MONEY,
    ("GET", f"{V1}/fee-items"): MONEY,
    ("GET", f"{V1}/fee-items/{{id}}"): MONEY,
    ("PATCH", f"{V1}/fee-items/{{id}}"): MONEY,
    ("POST", f"{V1}/fee-structures"): MONEY,
    ("GET", f"{V1}/fee-structures"): MONEY,
    ("GET", f"{V1}/fee-structures/{{id}}"): MONEY,
    ("PATCH", f"{V1}/fee-structures/{{id}}"): MONEY,
    ("POST", f"{V1}/fee-structures/{{id}}/invoice"): MONEY,
    ("POST", f"{V1}/students/{{id}}/fee-discounts"): MONEY,
    ("GET", f"{V1}/students/{{id}}/fee-discounts"): MONEY_READERS,
    ("POST", f"{V1}/fee-discounts/{{id}}/end"): MONEY,
    ("GET", f"{V1}/invoices"): MONEY_READERS,
    ("GET", f"{V1}/payments/{{id}}/receipt/pdf"): MONEY_READERS,
    # account flows by e-mail: anyone asks for a reset link or follows a link (the token is the credential);
    # admins send reset links; every school account edits its own contact details
    ("POST", f"{V1}/auth/password-reset"): PUBLIC,
    ("POST", f"{V1}/auth/password-reset/confirm"): PUBLIC,
    ("POST", f"{V1}/auth/invitations/accept"): PUBLIC,
    ("POST", f"{V1}/auth/email-change/confirm"): PUBLIC,
    ("POST", f"{V1}/users/{{id}}/password-reset"): ADMIN,
    ("PATCH", f"{V1}/me"): SCHOOL,
    ("GET", f"{V1}/me/guardian"): frozenset({"parent"}),  # a parent's own guardian record; they edit its contacts
    ("PATCH", f"{V1}/me/guardian"): frozenset({"parent"}),
    ("PUT", f"{V1}/school/logo"): ADMIN,  # the school's logo in its e-mail
    ("DELETE", f"{V1}/school/logo"): ADMIN,
    ("GET", f"{V1}/mail/deliveries"): ADMIN,  # what became of the school's e-mail
    # announcements: admins, and teachers for the classes they teach, announce; everyone reads what reaches them;
    # admins keep the absence alerts; a parent chooses for their own guardian record, the office for any
    ("POST", f"{V1}/announcements"): frozenset({"admin", "teacher"}),
    ("GET", f"{V1}/announcements"): frozenset({"admin", "teacher"}),
    ("GET", f"{V1}/announcements/{{id}}"): SCHOOL,
    ("PATCH", f"{V1}/announcements/{{id}}"): frozenset({"admin", "teacher"}),
    ("DELETE", f"{V1}/announcements/{{id}}"): frozenset({"admin", "teacher"}),
    ("POST", f"{V1}/announcements/{{id}}/read"): SCHOOL,
    ("GET", f"{V1}/me/announcements"): SCHOOL,
    ("GET", f"{V1}/absence-alerts"): ADMIN,
    ("GET", f"{V1}/absence-alerts/settings"): ADMIN,
    ("PATCH", f"{V1}/absence-alerts/settings"): ADMIN,
    ("PUT", f"{V1}/guardians/{{id}}/absence-alerts"): OFFICE | {"parent"},
    ("POST", f"{V1}/absence-alerts/unsubscribe"): PUBLIC,  # the token of a message's link is the credential
    ("GET", f"{V1}/absence-alerts/unsubscribe"): PUBLIC,  # the same link opened in a browser: a page
    ("POST", f"{V1}/absence-alerts/unsubscribe/confirm"): PUBLIC,  # that page's button
    # OneRoster: admins register the school's OAuth clients; the binding itself takes no account's token, only a
    # client's (checked by its handlers: test_oneroster_rest.py), so to the dispatcher it is public
    ("POST", f"{V1}/oauth-clients"): ADMIN,
    ("GET", f"{V1}/oauth-clients"): ADMIN,
    ("GET", f"{V1}/oauth-clients/{{id}}"): ADMIN,
    ("DELETE", f"{V1}/oauth-clients/{{id}}"): ADMIN,
    ("POST", f"{OR}/oauth/token"): PUBLIC,
    **{("GET", f"{OR}/{name}"): PUBLIC for name in OR_COLLECTIONS},
    **{("GET", f"{OR}/{name}/{{id}}"): PUBLIC for name in OR_COLLECTIONS},
    **{("GET", f"{OR}/{parent}/{{id}}/{child}"): PUBLIC for parent, child in OR_NESTED},
    **{(m, f"{OR}/{name}/{{id}}"): PUBLIC for m in ("PUT", "DELETE") for name in ("lineItems", "results")},
    ("GET", f"{OR}/classes/{{id}}/students/{{studentId}}/results"): PUBLIC,
}


def allowed(method, template):
    """The roles the table allows on an operation (KeyError when it has no row)."""
    return TABLE[(method, template)]


def is_public(method, template):
    return TABLE.get((method, template)) == PUBLIC
