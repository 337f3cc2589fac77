/* Tests of src/core/netaddr.c: CIDR lists, and the client's address behind trusted proxies. */
#include "../unit.h"

#include "core/netaddr.h"

static cidr_t nets[CIDR_MAX];
static int nnets;

static void trust(const char *list)
{
    if (cidr_parse_list(list, nets, CIDR_MAX, &nnets) != 0)
        fail_msg("cannot parse %s", list);
}

/* The client of a request from peer with the headers (NULL: absent). */
static const char *client(const char *peer, const char *forwarded, const char *xff)
{
    static char out[64];
    client_addr(peer, forwarded, xff, nets, nnets, out, sizeof(out));
    return out;
}

static void cidr_lists(void **state)
{
    (void)state;
    trust("10.0.0.0/8, 192.168.1.7 ,::1, 2001:db8::/32");
    assert_int_equal(nnets, 4);
    assert_true(cidr_contains(nets, nnets, "10.200.3.4"));
    assert_false(cidr_contains(nets, nnets, "11.0.0.1"));
    assert_true(cidr_contains(nets, nnets, "192.168.1.7"));
    assert_false(cidr_contains(nets, nnets, "192.168.1.8"));
    assert_true(cidr_contains(nets, nnets, "::1"));
    assert_true(cidr_contains(nets, nnets, "2001:db8:ffff::1"));
    assert_false(cidr_contains(nets, nnets, "2001:db9::1"));
    assert_true(cidr_contains(nets, nnets, "::ffff:10.1.2.3")); /* IPv4-mapped counts as IPv4 */
    assert_false(cidr_contains(nets, nnets, "not an address"));
    trust("0.0.0.0/0");
    assert_true(cidr_contains(nets, nnets, "8.8.8.8"));
    assert_false(cidr_contains(nets, nnets, "::2"));
    trust("172.16.0.0/12");
    assert_true(cidr_contains(nets, nnets, "172.31.255.255"));
    assert_false(cidr_contains(nets, nnets, "172.32.0.0"));
    static const char *const bad[] = {"",         "10.0.0.0/33", "::1/129",  "10.0.0.0/",  "10.0.0/8",
                                      "10.0.0.0/8,", ",10.0.0.1",  "host.lan", "10.0.0.0/-1", "10.0.0.0/8x",
                                      "10.0.0.1 10.0.0.2", "[::1]", "1.2.3.4/0008"};
    cidr_t tmp[CIDR_MAX];
    int n;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (cidr_parse_list(bad[i], tmp, CIDR_MAX, &n) == 0)
            fail_msg("accepted [%s]", bad[i]);
    char many[1024] = "";
    for (int i = 0; i <= CIDR_MAX; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s10.0.0.%d", i ? "," : "", i);
    assert_int_equal(cidr_parse_list(many, tmp, CIDR_MAX, &n), -1);
}

static void untrusted_peers_are_the_client(void **state)
{
    (void)state;
    trust("127.0.0.1");
    assert_string_equal(client("203.0.113.9", NULL, "198.51.100.1"), "203.0.113.9");
    assert_string_equal(client("203.0.113.9", "for=198.51.100.1", NULL), "203.0.113.9");
    nnets = 0;
    assert_string_equal(client("127.0.0.1", NULL, "198.51.100.1"), "127.0.0.1");
}

static void forwarded_for_is_read_from_the_right(void **state)
{
    (void)state;
    trust("127.0.0.1, 10.0.0.0/8");
    assert_string_equal(client("127.0.0.1", NULL, "198.51.100.1"), "198.51.100.1");
    /* the client wrote the leftmost entries itself: the first untrusted hop from the right wins */
    assert_string_equal(client("127.0.0.1", NULL, "6.6.6.6, 198.51.100.1, 10.1.1.1"), "198.51.100.1");
    assert_string_equal(client("127.0.0.1", NULL, "10.2.2.2,10.1.1.1"), "10.2.2.2"); /* all trusted: the leftmost */
    assert_string_equal(client("127.0.0.1", NULL, " 198.51.100.1:5555 "), "198.51.100.1");
    assert_string_equal(client("127.0.0.1", NULL, "[2001:db8::7]:443"), "2001:db8::7");
    assert_string_equal(client("127.0.0.1", NULL, "2001:DB8:0::7"), "2001:db8::7");
    assert_string_equal(client("127.0.0.1", NULL, "::ffff:198.51.100.3"), "198.51.100.3");
    /* something that is not an address stops the walk at the last hop known */
    assert_string_equal(client("127.0.0.1", NULL, "198.51.100.1, garbage"), "127.0.0.1");
    assert_string_equal(client("127.0.0.1", NULL, "garbage, 198.51.100.1"), "198.51.100.1");
    assert_string_equal(client("127.0.0.1", NULL, ""), "127.0.0.1");
    assert_string_equal(client("127.0.0.1", NULL, "1.2.3.4:99999"), "127.0.0.1");
    assert_string_equal(client("127.0.0.1", NULL, "1.2.3.4:"), "127.0.0.1");
    assert_string_equal(client("127.0.0.1", NULL, "[1.2.3.4]"), "127.0.0.1");
    assert_string_equal(client("127.0.0.1", NULL, "1.2.3.4.5"), "127.0.0.1");
}

static void forwarded_header(void **state)
{
    (void)state;
    trust("127.0.0.1, 10.0.0.0/8");
    assert_string_equal(client("127.0.0.1", "for=198.51.100.1;proto=https", NULL), "198.51.100.1");
    assert_string_equal(client("127.0.0.1", "for=6.6.6.6, For=\"198.51.100.2:80\";by=10.0.0.1, for=10.9.9.9", NULL),
                        "198.51.100.2");
    assert_string_equal(client("127.0.0.1", "for=\"[2001:db8:cafe::17]:4711\"", NULL), "2001:db8:cafe::17");
    assert_string_equal(client("127.0.0.1", "proto=https;by=1.1.1.1", NULL), "127.0.0.1"); /* no for= */
    assert_string_equal(client("127.0.0.1", "for=unknown", NULL), "127.0.0.1");
    assert_string_equal(client("127.0.0.1", "for=_hidden, for=198.51.100.1", NULL), "198.51.100.1");
    /* Forwarded wins over X-Forwarded-For when both came */
    assert_string_equal(client("127.0.0.1", "for=198.51.100.5", "198.51.100.6"), "198.51.100.5");
    /* a quoted comma does not split an element */
    assert_string_equal(client("127.0.0.1", "for=198.51.100.1;x=\"a,b\"", NULL), "198.51.100.1");
}

static void long_headers_keep_the_nearest_hops(void **state)
{
    (void)state;
    trust("10.0.0.0/8");
    char h[4096] = "6.6.6.6";
    for (int i = 0; i < 100; i++)
        snprintf(h + strlen(h), sizeof(h) - strlen(h), ", 10.0.%d.%d", i / 200, i % 200);
    assert_string_equal(client("10.0.0.1", NULL, h), "10.0.0.68"); /* 32 hops looked at, all trusted */
    snprintf(h, sizeof(h), "%s", "6.6.6.6, 198.51.100.1");
    assert_string_equal(client("10.0.0.1", NULL, h), "198.51.100.1");
    assert_string_equal(client("not-an-ip", NULL, h), "not-an-ip");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cidr_lists),
        cmocka_unit_test(untrusted_peers_are_the_client),
        cmocka_unit_test(forwarded_for_is_read_from_the_right),
        cmocka_unit_test(forwarded_header),
        cmocka_unit_test(long_headers_keep_the_nearest_hops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
