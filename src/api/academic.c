/* academic.c - handlers of the academic routes. */
#include "api/academic.h"
