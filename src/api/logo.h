/*
 * logo.h - the school's logo, shown at the head of its e-mail (src/mail):
 * PUT /school/logo takes a PNG or JPEG of at most LOGO_MAX bytes as the raw
 * body, keeps the bytes in the blob store and names them on the school's row;
 * DELETE /school/logo removes it. Admins of the school; audited.
 */
#ifndef ERP_API_LOGO_H
#define ERP_API_LOGO_H

#include "http/handler.h"

#define LOGO_MAX (64u << 10) /* bytes: every message to every recipient carries it */

int school_logo_put(req_t *r);
int school_logo_delete(req_t *r);

#endif
