"""
dates.py - dates relative to the servers' clock, for the fixtures and tests
that build calendars.

Every date a fixture writes is derived from today as the servers reckon it
(harness.test_now(), which follows ERP_TEST_CLOCK): never from the real date,
never a hard-coded year, so the suites mean the same whatever day they run.

    T = today()                          # datetime.date (UTC, or today("Europe/Paris"))
    iso(T - DAY * 3), monday_of(T), on_or_after(T, SATURDAY)
    school_days(start, end, weekdays=WEEKDAYS, holidays=())   # a calendar's school days, computed here
    YEARS_BACK                           # see below

YEARS_BACK: a suite written with the dates of fixed years (test_academic.py
uses 2029-2051) adds it to each of them: a negative multiple of 28 years, so
each date keeps its weekday and each year its leap day (the calendar repeats
every 28 years from 1901 to 2099), and every year written falls before the
current one, whatever the clock says.

DemoCalendar(today): the calendar `school-erp demo` builds when run on that
day (src/cli/demo.c): the academic year holding today, 24 August to 26 June
(from 1 to 23 August the coming one, not begun yet), its three terms, five
holidays on fixed dates, every student enrolled from the year's first day, and
attendance marked on every school day of the current term up to today. The
suites that use the demo school derive what they expect from it
(test_academic.py checks the demo against it).
"""

import datetime

import zoneinfo

from harness import test_now

DAY = datetime.timedelta(days=1)
WEEK = datetime.timedelta(days=7)
MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)
WEEKDAYS = (MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY)
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def today(time_zone="UTC"):
    """Today (a datetime.date) in a time zone, by the servers' clock."""
    return test_now().astimezone(zoneinfo.ZoneInfo(time_zone)).date()


def iso(d):
    """A date as YYYY-MM-DD."""
    return d.isoformat()


def day(s):
    """A YYYY-MM-DD string as a date."""
    return datetime.date.fromisoformat(s)


def monday_of(d):
    """The Monday of d's week."""
    return d - DAY * d.weekday()


def on_or_after(d, weekday):
    """The first date from d (included) that falls on weekday (MONDAY … SUNDAY)."""
    return d + DAY * ((weekday - d.weekday()) % 7)


def on_or_before(d, weekday):
    """The last date up to d (included) that falls on weekday."""
    return d - DAY * ((d.weekday() - weekday) % 7)


def between(start, end):
    """Every date from start to end, both included."""
    out, d = [], start
    while d <= end:
        out.append(d)
        d += DAY
    return out


def school_days(start, end, weekdays=WEEKDAYS, holidays=()):
    """The school days of a term from start to end: its weekdays, less the holidays (dates)."""
    off = set(holidays)
    return [d for d in between(start, end) if d.weekday() in weekdays and d not in off]


def _years_back(latest_written=2051):
    years = 28
    while latest_written - years >= today().year:
        years += 28
    return -years


YEARS_BACK = _years_back()


class DemoCalendar:
    """
    The calendar `school-erp demo` builds on a day (UTC, as the command reckons
    it): year, terms, holidays, the current term, the days with attendance, and
    whether its enrollments are open on a date.
    """

    def __init__(self, on=None):
        self.today = on or today()
        y = self.today.year - (1 if self.today.month < 8 else 0)
        self.year_name = f"{y}-{y + 1}"
        self.start, self.end = datetime.date(y, 8, 24), datetime.date(y + 1, 6, 26)
        self.terms = [("Term 1", datetime.date(y, 8, 24), datetime.date(y, 12, 18)),
                      ("Term 2", datetime.date(y + 1, 1, 5), datetime.date(y + 1, 3, 27)),
                      ("Term 3", datetime.date(y + 1, 4, 7), datetime.date(y + 1, 6, 26))]
        self.holidays = {datetime.date(y, 10, 12): "Founders' Day", datetime.date(y, 11, 26): "Thanksgiving",
                         datetime.date(y, 11, 27): "Thanksgiving break", datetime.date(y + 1, 2, 16): "Presidents' Day",
                         datetime.date(y + 1, 5, 25): "Memorial Day"}
        holding = [t for t in self.terms if t[1] <= self.today <= t[2]]
        begun = [t for t in self.terms if t[1] <= self.today]
        self.current_term = (holding or begun[-1:] or self.terms[:1])[0]
        _, first, last = self.current_term
        self.marked_days = school_days(first, min(last, self.today), holidays=self.holidays)

    def school_days(self, start, end):
        """The demo school's school days from start to end (its terms' weekdays, less its holidays)."""
        return [d for d in between(start, end)
                if any(s <= d <= e for _, s, e in self.terms) and d.weekday() in WEEKDAYS and d not in self.holidays]

    def enrolled_on(self, d):
        """Whether the demo's students are enrolled on d (from the year's first day to its last)."""
        return self.start <= d <= self.end

    def open_day(self):
        """A day the demo's enrollments are open: today if they are, else the nearest day of the year."""
        return min(max(self.today, self.start), self.end)
