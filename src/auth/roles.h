/*
 * roles.h - the roles of the product, as bits so a route can allow several.
 */
#ifndef ERP_AUTH_ROLES_H
#define ERP_AUTH_ROLES_H

enum {
    ROLE_PLATFORM_ADMIN = 1u << 0, /* operator of the platform; belongs to no school */
    ROLE_ADMIN = 1u << 1,          /* a school's administrator */
    ROLE_TEACHER = 1u << 2,
    ROLE_STAFF = 1u << 3,
    ROLE_STUDENT = 1u << 4,
    ROLE_PARENT = 1u << 5,
    ROLE_BURSAR = 1u << 6,         /* keeps a school's money: fees, invoices, payments */
};

#define ROLE_COUNT 7
#define ROLES_SCHOOL (ROLE_ADMIN | ROLE_TEACHER | ROLE_STAFF | ROLE_STUDENT | ROLE_PARENT | ROLE_BURSAR)
#define ROLES_ANY (ROLE_PLATFORM_ADMIN | ROLES_SCHOOL)

/* Name of the role with bit index i ("platform_admin", "admin", …). */
const char *role_name(int i);
/* Bit of a role name, or 0 when unknown. */
unsigned role_parse(const char *name);

#endif
