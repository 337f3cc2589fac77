/*
 * rostering.c - the rostering collections of the OneRoster 1.1 binding:
 * GET OR_BASE/<collection>, OR_BASE/<collection>/{id} and the nested
 * collections (schools/{id}/classes, classes/{id}/students, …).
 *
 * A request loads its kind's records of the caller's school (records.h),
 * keeps those of the collection (students are users whose role is student,
 * terms academicSessions of type term, …) and of the nesting, then applies
 * filter (filter.h), sort/orderBy (default: sourcedId), offset/limit
 * (default 100) and fields, and answers {"<collection>": [...]} with
 * X-Total-Count (after the filter) and Link (first, prev, next, last).
 * Users (users, students, teachers, a school's) are paged by the database
 * when the filter is a conjunction on plain columns and the sort a text
 * column (slots.h: the filter becomes bound parameters of static statements,
 * never SQL text); a class's students or teachers are read alone. Any other
 * request is answered from the kind's records in memory (filter.h), with
 * the same result (test_oneroster_sql.py compares the two).
 */

#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "auth/audit.h"
#include "core/sbuf.h"
#include "core/utf8.h"
#include "http/router.h"
#include "oneroster/rest/filter.h"
#include "oneroster/rest/records.h"
#include "oneroster/rest/rest.h"

#define ROSTER_SCOPES (OR_SCOPE_ROSTER_CORE | OR_SCOPE_ROSTER)
#define DEMOGRAPHICS_SCOPES (OR_SCOPE_DEMOGRAPHICS | OR_SCOPE_ROSTER)
#define GRADEBOOK_SCOPES (OR_SCOPE_GRADEBOOK_READ | OR_SCOPE_GRADEBOOK_CREATEPUT)
#define DEFAULT_LIMIT 100
#define MAX_LIMIT 10000

/* A collection: records of kind whose field `where` equals `is` (no condition when NULL). */
typedef struct collection {
    const char *name;   /* path segment: "students" */
    const char *plural; /* the key of a list: "users" */
    const char *single; /* the key of one record: "user" */
    or_kind_t kind;
    const char *where, *is;
} collection_t;

static const collection_t collections[] = {
    {"orgs", "orgs", "org", ORK_ORGS, NULL, NULL},
    {"schools", "orgs", "org", ORK_ORGS, "type", "school"},
    {"academicSessions", "academicSessions", "academicSession", ORK_SESSIONS, NULL, NULL},
    {"terms", "academicSessions", "academicSession", ORK_SESSIONS, "type", "term"},
    {"gradingPeriods", "academicSessions", "academicSession", ORK_SESSIONS, "type", "gradingPeriod"},
    {"courses", "courses", "course", ORK_COURSES, NULL, NULL},
    {"classes", "classes", "class", ORK_CLASSES, NULL, NULL},
    {"users", "users", "user", ORK_USERS, NULL, NULL},
    {"students", "users", "user", ORK_USERS, "role", "student"},
    {"teachers", "users", "user", ORK_USERS, "role", "teacher"},
    {"enrollments", "enrollments", "enrollment", ORK_ENROLLMENTS, NULL, NULL},
    {"demographics", "demographics", "demographics", ORK_DEMOGRAPHICS, NULL, NULL},
    {"categories", "categories", "category", ORK_CATEGORIES, NULL, NULL},
    {"lineItems", "lineItems", "lineItem", ORK_LINEITEMS, NULL, NULL},
    {"results", "results", "result", ORK_RESULTS, NULL, NULL},
};

/*
 * A nested collection parent/{id}/child: the child records whose field `link`
 * names the parent (a reference or a list of them), or, with `via_role`, the
 * child records named by the enrollments of that role whose `link` names the
 * parent (their `to` reference).
 */
typedef struct nesting {
    const char *parent, *child;
    const char *link;
    const char *via_role; /* NULL: a direct reference */
    const char *to;
} nesting_t;

static const nesting_t nestings[] = {
    {"schools", "classes", "school", NULL, NULL},
    {"schools", "courses", "org", NULL, NULL},
    {"schools", "enrollments", "school", NULL, NULL},
    {"schools", "students", "orgs", NULL, NULL},
    {"schools", "teachers", "orgs", NULL, NULL},
    {"schools", "terms", NULL, NULL, NULL}, /* every term is the one school's */
    {"classes", "students", "class", "student", "user"},
    {"classes", "teachers", "class", "teacher", "user"},
    {"teachers", "classes", "user", "teacher", "class"},
    {"students", "classes", "user", "student", "class"},
    {"terms", "classes", "terms", NULL, NULL},
    {"courses", "classes", "course", NULL, NULL},
    {"classes", "lineItems", "class", NULL, NULL},
    {"lineItems", "results", "lineItem", NULL, NULL},
};

static const collection_t *collection_named(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof(collections) / sizeof(collections[0]); i++)
        if (strlen(collections[i].name) == n && strncmp(collections[i].name, name, n) == 0)
            return &collections[i];
    return NULL;
}

/* The route's path segment i after OR_BASE ("users" of OR_BASE/users/{id}). */
static const collection_t *route_collection(const req_t *r, int i)
{
    const char *p = r->route->path + strlen(OR_BASE "/");
    for (; i > 0; i--)
        p += strcspn(p, "/") + 1;
    return collection_named(p, strcspn(p, "/"));
}

static unsigned scopes_of(const collection_t *c)
{
    if (c->kind >= ORK_CATEGORIES)
        return GRADEBOOK_SCOPES;
    return c->kind == ORK_DEMOGRAPHICS ? DEMOGRAPHICS_SCOPES : ROSTER_SCOPES;
}

static int field_is(json_t *rec, const char *field, const char *value)
{
    or_filter_t f = {.n = 1, .v = {{.field = field, .op = OR_EQ, .value = value}}};
    return or_filter_match(&f, rec);
}

/* The records of collection c into *out (new reference). 0, or -1. */
static int load_collection(req_t *r, const collection_t *c, json_t **out)
{
    json_t *all;
    if (or_records_load(r, c->kind, &all) != 0)
        return -1;
    if (c->where == NULL) {
        *out = all;
        return 0;
    }
    json_t *keep = json_array();
    size_t i;
    json_t *rec;
    json_array_foreach(all, i, rec) if (keep != NULL && field_is(rec, c->where, c->is)) json_array_append(keep, rec);
    json_decref(all);
    if (keep == NULL)
        return res_fail(r, ERR_INTERNAL, "collection");
    *out = keep;
    return 0;
}

/* The record of c with sourcedId id (borrowed from *all, a new reference the caller releases), or NULL. */
static json_t *find_record(req_t *r, const collection_t *c, const char *id, json_t **all, int *failed)
{
    *failed = load_collection(r, c, all) != 0;
    if (*failed)
        return NULL;
    size_t i;
    json_t *rec;
    json_array_foreach(*all, i, rec) if (field_is(rec, "sourcedId", id)) return rec;
    return NULL;
}

/* ------------------------------------------------------------------ query parameters */

typedef struct listing {
    long long limit, offset;
    const char *sort;
    int desc;
    or_filter_t filter;
    const char **fields; /* NULL-terminated, or NULL: all */
} listing_t;

/* Stops a request after an error was answered (or could not be: the dispatcher then answers 500). */
static int refused(int rc)
{
    (void)rc;
    return 1;
}

static int read_count(req_t *r, const char *name, long long min, long long max, long long dflt, long long *out)
{
    const char *v = req_query(r, name);
    *out = dflt;
    if (v == NULL)
        return 0;
    char *end;
    long long n = strtoll(v, &end, 10);
    if (*v == '\0' || *end != '\0' || n < min || n > max)
        return refused(or_error(r, 400, "invalid data", "%s must be an integer from %lld to %lld.", name, min, max));
    *out = n;
    return 0;
}

static int known(const char *const *fields, const char *f)
{
    for (; *fields != NULL; fields++)
        if (strcmp(*fields, f) == 0)
            return 1;
    return 0;
}

/* fields=a,b,c: each a field of the kind. 0, or 1 after answering 400. */
static int read_fields(req_t *r, const char *const *kind_fields, listing_t *l)
{
    const char *v = req_query(r, "fields");
    l->fields = NULL;
    if (v == NULL)
        return 0;
    size_t n = 1;
    for (const char *p = v; *p; p++)
        n += *p == ',';
    l->fields = arena_alloc(&r->arena, (n + 1) * sizeof(*l->fields));
    size_t k = 0;
    for (const char *p = v;; p++) {
        size_t len = strcspn(p, ",");
        const char *f = arena_printf(&r->arena, "%.*s", (int)len, p);
        if (!known(kind_fields, f))
            return refused(or_error(r, 400, "invalid_selection_field", "fields: %s is not a field of these records.",
                            len ? f : "(empty)"));
        l->fields[k++] = f;
        p += len;
        if (*p == '\0')
            break;
    }
    l->fields[k] = NULL;
    return 0;
}

/* Reads every parameter; 0, 1 after answering 400. */
static int read_listing(req_t *r, const char *const *fields, int many, listing_t *l)
{
    memset(l, 0, sizeof(*l));
    static const char *const texts[] = {"filter", "sort", "orderBy", "fields", NULL};
    for (const char *const *t = texts; *t != NULL; t++) {
        const char *v = req_query(r, *t);
        if (v != NULL && !utf8_valid(v, strlen(v)))
            return refused(or_error(r, 400, "invalid data", "%s must be UTF-8 text.", *t));
    }
    if (read_fields(r, fields, l) != 0)
        return 1;
    if (!many)
        return 0;
    if (read_count(r, "limit", 1, MAX_LIMIT, DEFAULT_LIMIT, &l->limit) != 0 ||
        read_count(r, "offset", 0, 1LL << 40, 0, &l->offset) != 0)
        return 1;
    l->sort = req_query(r, "sort");
    if (l->sort != NULL && !known(fields, l->sort))
        return refused(or_error(r, 400, "invalid_sort_field", "sort: %s is not a field of these records.", l->sort));
    const char *order = req_query(r, "orderBy");
    if (order != NULL && strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0)
        return refused(or_error(r, 400, "invalid data", "orderBy must be asc or desc."));
    l->desc = order != NULL && strcmp(order, "desc") == 0;
    const char *filter = req_query(r, "filter"), *why = NULL;
    if (filter != NULL) {
        int rc = or_filter_parse(&r->arena, filter, fields, &l->filter, &why);
        if (rc != 0)
            return refused(or_error(r, 400, rc == -2 ? "invalid_filter_field" : "invalid data", "filter: %s.", why));
    }
    return 0;
}

/* ------------------------------------------------------------------ answering */

static json_t *project(json_t *rec, const char **fields)
{
    if (fields == NULL)
        return json_incref(rec);
    json_t *o = json_object();
    for (int i = 0; o != NULL && fields[i] != NULL; i++) {
        json_t *v = json_object_get(rec, fields[i]);
        if (v != NULL)
            json_object_set(o, fields[i], v);
    }
    return o;
}

static int compare_values(json_t *a, json_t *b)
{
    if (a == NULL || b == NULL)
        return (a != NULL) - (b != NULL);
    if (json_is_object(a))
        a = json_object_get(a, "sourcedId");
    if (json_is_object(b))
        b = json_object_get(b, "sourcedId");
    if (json_is_array(a) || json_is_array(b))
        return compare_values(json_is_array(a) ? json_array_get(a, 0) : a, json_is_array(b) ? json_array_get(b, 0) : b);
    const char *x = json_string_value(a), *y = json_string_value(b);
    return x != NULL && y != NULL ? strcmp(x, y) : (x != NULL) - (y != NULL);
}

static int compare_records(const void *pa, const void *pb, void *ctx)
{
    const listing_t *l = ctx;
    json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    int c = l->sort != NULL ? compare_values(or_field_get(a, l->sort), or_field_get(b, l->sort)) : 0;
    if (c == 0)
        c = compare_values(json_object_get(a, "sourcedId"), json_object_get(b, "sourcedId"));
    return l->desc ? -c : c;
}

/* The request's query without limit and offset, for Link. */
static const char *other_params(req_t *r)
{
    sbuf_t b;
    sbuf_init(&b, &r->arena, r->query_len + 1);
    for (const char *p = r->query; *p != '\0';) {
        size_t n = strcspn(p, "&");
        if (n > 0 && strncmp(p, "limit=", 6) != 0 && strncmp(p, "offset=", 7) != 0)
            sbuf_printf(&b, "%.*s&", (int)n, p);
        p += n + (p[n] == '&');
    }
    return b.len ? b.p : "";
}

static void paging_headers(req_t *r, const listing_t *l, long long total)
{
    res_header(r, "x-total-count", arena_printf(&r->arena, "%lld", total));
    const char *q = other_params(r);
    long long last = total > 0 ? (total - 1) / l->limit * l->limit : 0;
    sbuf_t b;
    sbuf_init(&b, &r->arena, 256);
#define LINK(off, rel)                                                                                                 \
    sbuf_printf(&b, "%s<%s?%slimit=%lld&offset=%lld>; rel=\"" rel "\"", b.len ? ", " : "", r->path, q, l->limit,   \
                (long long)(off))
    LINK(0, "first");
    if (l->offset > 0)
        LINK(l->offset > l->limit ? l->offset - l->limit : 0, "prev");
    if (l->offset + l->limit < total)
        LINK(l->offset + l->limit, "next");
    LINK(last, "last");
#undef LINK
    res_header(r, "link", b.p);
}

/* Answers a page already cut (a reference the function takes) with its headers. */
static int answer_page(req_t *r, const char *key, json_t *page, const listing_t *l, long long total)
{
    paging_headers(r, l, total);
    json_t *body = json_object();
    if (body == NULL || json_object_set_new(body, key, page) != 0) {
        json_decref(body);
        return res_fail(r, ERR_INTERNAL, "page document");
    }
    return res_json(r, 200, body);
}

/* Filters, sorts, pages and answers records (a reference the function takes). */
static int answer_list(req_t *r, const char *key, json_t *records, const listing_t *l)
{
    size_t n = json_array_size(records), kept = 0;
    json_t **v = arena_alloc(&r->arena, (n ? n : 1) * sizeof(*v));
    for (size_t i = 0; i < n; i++)
        if (or_filter_match(&l->filter, json_array_get(records, i)))
            v[kept++] = json_array_get(records, i);
    qsort_r(v, kept, sizeof(*v), compare_records, (void *)l);
    json_t *page = json_array();
    for (long long i = l->offset; page != NULL && i < (long long)kept && i < l->offset + l->limit; i++)
        if (json_array_append_new(page, project(v[i], l->fields)) != 0) {
            json_decref(page);
            page = NULL;
        }
    json_decref(records);
    if (page == NULL)
        return res_fail(r, ERR_INTERNAL, "page");
    return answer_page(r, key, page, l, (long long)kept);
}

static int audit_read(req_t *r, const char *action)
{
    db_t *db = req_db(r);
    const char *what = r->query_len ? arena_printf(&r->arena, "%s?%s", r->path, r->query) : r->path;
    if (audit_caller(db, r, action, "oneroster", NULL, what) != 0)
        return db_fail(r, db);
    return 0;
}

/* ------------------------------------------------------------------ handlers */

/* The page's records projected onto l->fields (a reference the function takes), or NULL. */
static json_t *project_page(json_t *page, const listing_t *l)
{
    if (l->fields == NULL)
        return page;
    json_t *out = json_array();
    size_t i;
    json_t *rec;
    json_array_foreach(page, i, rec) if (out != NULL && json_array_append_new(out, project(rec, l->fields)) != 0)
    {
        json_decref(out);
        out = NULL;
    }
    json_decref(page);
    return out;
}

/*
 * Whether the users of collection c the listing asks for can be cut in SQL: the collection's condition and
 * the filter as slots (slots.h), the sort a text column. Fills *s and *sort_field.
 */
static int users_in_sql(const collection_t *c, const listing_t *l, or_slots_t *s, int *sort_field)
{
    const char *const *columns = or_user_columns();
    memset(s, 0, sizeof(*s));
    if (c->kind != ORK_USERS)
        return 0;
    if (c->where != NULL) {
        or_pred_t p = {.field = c->where, .op = OR_EQ, .value = c->is};
        if (or_slots_add(s, columns, &p) != 0)
            return 0;
    }
    if (or_slots_from_filter(s, columns, &l->filter) != 0)
        return 0;
    *sort_field = l->sort != NULL ? or_slot_field(columns, l->sort) : 0;
    return l->sort == NULL || (*sort_field != 0 && strcmp(l->sort, "dateLastModified") != 0);
}

/* Answers the listing of collection c, the whole school's (an audited read already checked). */
static int answer_collection(req_t *r, const collection_t *c, const listing_t *l)
{
    long long total;
    json_t *page;
    or_slots_t s;
    int sort_field;
    if (users_in_sql(c, l, &s, &sort_field)) {
        /* filtered, sorted, counted and cut by the database: only the page's users are read */
        if (or_users_page(r, &s, sort_field, l->desc, l->offset, l->limit, &total, &page) != 0)
            return -1;
        if ((page = project_page(page, l)) == NULL)
            return res_fail(r, ERR_INTERNAL, "page");
        return answer_page(r, c->plural, page, l, total);
    }
    if (l->filter.n == 0 && l->fields == NULL && (l->sort == NULL || strcmp(l->sort, "sourcedId") == 0)) {
        /* a page in sourcedId order, what a full sync asks: only the page's records are built */
        if (or_records_page(r, c->kind, c->where, c->is, l->offset, l->limit, l->desc, &total, &page) != 0)
            return -1;
        return answer_page(r, c->plural, page, l, total);
    }
    json_t *records;
    if (load_collection(r, c, &records) != 0)
        return -1;
    return answer_list(r, c->plural, records, l);
}

int oneroster_collection(req_t *r)
{
    const collection_t *c = route_collection(r, 0);
    int rc = or_authenticate(r, scopes_of(c));
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    listing_t l;
    if (read_listing(r, or_kind_fields(c->kind), 1, &l) != 0)
        return 0;
    if (audit_read(r, "oneroster.list") != 0)
        return -1;
    return answer_collection(r, c, &l);
}

/* Answers {single: the record of c with sourcedId id} with status (404 imsx when there is none). */
static int answer_record(req_t *r, const collection_t *c, const char *id, const char **fields, int status)
{
    json_t *all;
    int failed;
    json_t *rec = find_record(r, c, id, &all, &failed);
    if (failed)
        return -1;
    if (rec == NULL) {
        json_decref(all);
        return or_error(r, 404, "unknown object", "No %s has sourcedId %s.", c->single,
                        utf8_valid(id, strlen(id)) ? id : "(not UTF-8)");
    }
    json_t *body = json_object();
    json_t *one = project(rec, fields);
    json_decref(all);
    if (body == NULL || one == NULL || json_object_set_new(body, c->single, one) != 0) {
        json_decref(body);
        json_decref(one);
        return res_fail(r, ERR_INTERNAL, "record document");
    }
    return res_json(r, status, body);
}

int or_respond_record(req_t *r, or_kind_t k, const char *id, int status)
{
    for (size_t i = 0; i < sizeof(collections) / sizeof(collections[0]); i++)
        if (collections[i].kind == k && collections[i].where == NULL)
            return answer_record(r, &collections[i], id, NULL, status);
    return res_fail(r, ERR_INTERNAL, "no collection of kind %d", (int)k);
}

int oneroster_record(req_t *r)
{
    const collection_t *c = route_collection(r, 0);
    int rc = or_authenticate(r, scopes_of(c));
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    listing_t l;
    if (read_listing(r, or_kind_fields(c->kind), 0, &l) != 0)
        return 0;
    if (audit_read(r, "oneroster.read") != 0)
        return -1;
    return answer_record(r, c, req_param(r, 0), l.fields, 200);
}

static const nesting_t *route_nesting(const collection_t *parent, const collection_t *child)
{
    for (size_t i = 0; i < sizeof(nestings) / sizeof(nestings[0]); i++)
        if (strcmp(nestings[i].parent, parent->name) == 0 && strcmp(nestings[i].child, child->name) == 0)
            return &nestings[i];
    return NULL;
}

/* The local kind of a nesting's parent record: "teacher", "student", "section" (a scheduled class) or "class". */
static const char *parent_kind(const nesting_t *n, json_t *parent)
{
    return strcmp(n->parent, "teachers") == 0                ? "teacher"
           : strcmp(n->parent, "students") == 0              ? "student"
           : field_is(parent, "classType", "scheduled") ? "section"
                                                        : "class";
}

/* Keeps the child records the nesting relates to parent (of sourcedId id). */
static int nested_records(req_t *r, const nesting_t *n, json_t *parent, json_t *children, json_t **out)
{
    const char *id = json_string_value(json_object_get(parent, "sourcedId"));
    json_t *set = NULL;
    const char *kind = parent_kind(n, parent);
    if (n->via_role != NULL && or_links_load(r, kind, n->via_role, id, &set) != 0) {
        json_decref(children);
        return -1;
    }
    or_filter_t f = {.n = 1, .v = {{.field = n->link, .op = OR_EQ, .value = id}}};
    json_t *year = json_object_get(parent, "parent"); /* a term's classes: those of its year */
    if (strcmp(n->parent, "terms") == 0 && year != NULL)
        f.v[f.n++] = (or_pred_t){.field = n->link, .op = OR_EQ,
                                 .value = json_string_value(json_object_get(year, "sourcedId")), .or_before = 1};
    json_t *keep = json_array();
    size_t i;
    json_t *rec;
    json_array_foreach(children, i, rec)
    {
        int in = n->link == NULL ? 1
                 : set != NULL   ? json_object_get(set, json_string_value(json_object_get(rec, "sourcedId"))) != NULL
                                 : or_filter_match(&f, rec);
        if (in && keep != NULL)
            json_array_append(keep, rec);
    }
    json_decref(set);
    json_decref(children);
    if (keep == NULL)
        return res_fail(r, ERR_INTERNAL, "nested collection");
    *out = keep;
    return 0;
}

/* Answers 404: no parent record of collection pc has the route's sourcedId. */
static int unknown_parent(req_t *r, const collection_t *pc)
{
    const char *id = req_param(r, 0);
    return or_error(r, 404, "unknown object", "No %s has sourcedId %s.", pc->single,
                    utf8_valid(id, strlen(id)) ? id : "(not UTF-8)");
}

int oneroster_nested(req_t *r)
{
    const collection_t *pc = route_collection(r, 0), *cc = route_collection(r, 2);
    const nesting_t *n = route_nesting(pc, cc);
    if (n == NULL)
        return res_fail(r, ERR_INTERNAL, "no nesting for %s", r->route->path);
    int rc = or_authenticate(r, scopes_of(cc));
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    listing_t l;
    if (read_listing(r, or_kind_fields(cc->kind), 1, &l) != 0)
        return 0;
    json_t *parents, *children, *kept = NULL;
    if (cc->kind == ORK_USERS && n->via_role != NULL) {
        /* a class's students or teachers: only the class and they are read */
        if (or_class_users(r, n->via_role, req_param(r, 0), &children) != 0)
            return -1;
        if (children == NULL)
            return unknown_parent(r, pc);
        return audit_read(r, "oneroster.list") != 0 ? -1 : answer_list(r, cc->plural, children, &l);
    }
    int failed;
    json_t *parent = find_record(r, pc, req_param(r, 0), &parents, &failed);
    if (failed)
        return -1;
    if (parent == NULL) {
        json_decref(parents);
        return unknown_parent(r, pc);
    }
    if (audit_read(r, "oneroster.list") != 0) {
        json_decref(parents);
        return -1;
    }
    if (cc->kind == ORK_USERS && strcmp(n->parent, "schools") == 0) {
        json_decref(parents); /* the one school: its users are the collection's */
        return answer_collection(r, cc, &l);
    }
    if (load_collection(r, cc, &children) != 0 || nested_records(r, n, parent, children, &kept) != 0) {
        json_decref(parents);
        return -1;
    }
    json_decref(parents);
    return answer_list(r, cc->plural, kept, &l);
}

/* ------------------------------------------------------------------ a student's results in a class */

/* The sourcedIds (keys of a new object) of the line items of class cid (lineItems records, borrowed). */
static json_t *line_items_of(json_t *items, const char *cid)
{
    json_t *set = json_object();
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item) if (set != NULL && field_is(item, "class", cid))
        json_object_set_new(set, json_string_value(json_object_get(item, "sourcedId")), json_true());
    return set;
}

/* Keeps the results (a reference taken) of student sid on the line items of class cid into *out. 0, or -1. */
static int results_in_class(req_t *r, json_t *results, const char *cid, const char *sid, json_t **out)
{
    json_t *items;
    const collection_t *li = collection_named("lineItems", strlen("lineItems"));
    if (load_collection(r, li, &items) != 0) {
        json_decref(results);
        return -1;
    }
    json_t *set = line_items_of(items, cid), *keep = json_array();
    json_decref(items);
    size_t i;
    json_t *res;
    json_array_foreach(results, i, res)
    {
        json_t *item = json_object_get(json_object_get(res, "lineItem"), "sourcedId");
        if (set != NULL && keep != NULL && field_is(res, "student", sid) &&
            json_object_get(set, json_string_value(item)) != NULL)
            json_array_append(keep, res);
    }
    json_decref(set);
    json_decref(results);
    if (set == NULL || keep == NULL) {
        json_decref(keep);
        return res_fail(r, ERR_INTERNAL, "class results");
    }
    *out = keep;
    return 0;
}

/* 0 when student sid is one of class cid's students; else 1 after answering 404 (which is unknown), or -1. */
static int check_class_student(req_t *r, const char *cid, const char *sid)
{
    json_t *students, *all = NULL;
    if (or_class_users(r, "student", cid, &students) != 0)
        return -1;
    if (students == NULL)
        return refused(unknown_parent(r, collection_named("classes", strlen("classes"))));
    size_t i;
    json_t *u;
    int in = 0;
    json_array_foreach(students, i, u) in = in || field_is(u, "sourcedId", sid);
    json_decref(students);
    if (in)
        return 0;
    int failed;
    json_t *student = find_record(r, collection_named("students", strlen("students")), sid, &all, &failed);
    json_decref(all);
    if (failed)
        return -1;
    const char *shown = utf8_valid(sid, strlen(sid)) ? sid : "(not UTF-8)";
    return refused(student == NULL ? or_error(r, 404, "unknown object", "No student has sourcedId %s.", shown)
                                   : or_error(r, 404, "unknown object", "Student %s is not in class %s.", shown, cid));
}

int oneroster_class_student_results(req_t *r)
{
    const collection_t *results = collection_named("results", strlen("results"));
    int rc = or_authenticate(r, scopes_of(results));
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    listing_t l;
    if (read_listing(r, or_kind_fields(results->kind), 1, &l) != 0)
        return 0;
    const char *cid = req_param(r, 0), *sid = req_param(r, 1);
    rc = check_class_student(r, cid, sid);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    json_t *all, *kept = NULL;
    if (audit_read(r, "oneroster.list") != 0 || load_collection(r, results, &all) != 0 ||
        results_in_class(r, all, cid, sid, &kept) != 0)
        return -1;
    return answer_list(r, results->plural, kept, &l);
}
