#include "auth/roles.h"

#include <string.h>

static const char *const names[ROLE_COUNT] = {"platform_admin", "admin", "teacher", "staff", "student", "parent", "bursar"};

const char *role_name(int i)
{
    return i >= 0 && i < ROLE_COUNT ? names[i] : "";
}

unsigned role_parse(const char *name)
{
    for (int i = 0; i < ROLE_COUNT; i++)
        if (strcmp(name, names[i]) == 0)
            return 1u << i;
    return 0;
}
