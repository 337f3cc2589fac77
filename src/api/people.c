/* people.c - handlers of the people routes. */
#include "api/people.h"
