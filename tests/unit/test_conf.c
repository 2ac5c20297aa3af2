/*
 * test_conf: the configuration parser piece by piece (lexing, values, cross-key rules,
 * key files, exact error lines) and the round trip print -> parse -> print on several
 * configurations, comparing both the text and the structs.
 */
#include "config.h"

#include "check.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "conf_value.h"


#define KEY_A "lEnqJN1JCpqRhDi8anoOvDQ1gRwqxLcLtp9okCEczjU="
#define KEY_B "dRm71oHpYq/1H5a3EIPVE6L7AT1a8Xn8q3lv5Mmi7Uw="

/* Big structs: static, and the parser is not reentrant-sensitive here. */
static struct conf c1, c2;
static char err[1024];

static int
parse(struct conf *c, const char *text)
{
	return conf_parse(c, "t.conf", text, strlen(text), err, sizeof err);
}

/* Parse text that must fail and compare the whole error line. */
static void
expect_err(const char *text, const char *want, int line)
{
	if (parse(&c1, text) != -1) {
		fprintf(stderr, "line %d: parse succeeded, wanted: %s\n", line, want);
		failures++;
		return;
	}
	if (strcmp(err, want) != 0) {
		fprintf(stderr, "line %d: got  '%s'\n        want '%s'\n", line, err, want);
		failures++;
	}
}
#define EXPECT_ERR(text, want) expect_err(text, want, __LINE__)

static char *
print_to_string(const struct conf *c)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	if (f == NULL)
		abort();
	conf_print(c, f);
	fclose(f);
	return s;
}

/* Forget what legitimately differs between a parse and a re-parse of its print. */
static void
normalize(struct conf *c)
{
	int i;

	memset(c->file, 0, sizeof c->file);
	for (i = 0; i < c->npaths; i++)
		c->paths[i].line = c->paths[i].congestion_line = 0;
	for (i = 0; i < c->npeers; i++) {
		c->peers[i].line = c->peers[i].line != 0; /* 0 only for the implicit peer */
		c->peers[i].key_line = 0;
	}
}

static void
round_trip(const char *text, int line)
{
	char *p1, *p2;

	if (parse(&c1, text) == -1) {
		fprintf(stderr, "line %d: %s\n", line, err);
		failures++;
		return;
	}
	p1 = print_to_string(&c1);
	if (parse(&c2, p1) == -1) {
		fprintf(stderr, "line %d: re-parse failed: %s\n%s", line, err, p1);
		failures++;
		free(p1);
		return;
	}
	p2 = print_to_string(&c2);
	if (strcmp(p1, p2) != 0) {
		fprintf(stderr, "line %d: print differs:\n%s---\n%s", line, p1, p2);
		failures++;
	}
	normalize(&c1);
	normalize(&c2);
	if (memcmp(&c1, &c2, sizeof c1) != 0) {
		fprintf(stderr, "line %d: structs differ after round trip\n", line);
		failures++;
	}
	free(p1);
	free(p2);
}
#define ROUND_TRIP(text) round_trip(text, __LINE__)

#define CLIENT_TEXT                                                                                \
	"[Interface]\nPrivateKey = " KEY_A "\n[Peer]\nPublicKey = " KEY_B                            \
	"\nEndpoint = vpn.example.net:7000\n"
static const char *const CLIENT = CLIENT_TEXT;

static void
test_defaults(void)
{
	CHECK(parse(&c1, CLIENT) == 0);
	CHECK(strcmp(c1.ifname, "mp0") == 0);
	CHECK(c1.mode == MODE_TUN);
	CHECK(c1.mtu == CONF_MTU_DEFAULT);
	CHECK(c1.cipher == CIPHER_AUTO);
	CHECK(c1.sched == SCHED_BALANCE);
	CHECK(c1.reorder_hold_ms == 100 && c1.retransmit_age_ms == 200);
	CHECK(c1.heartbeat_ms == 200 && c1.dead_ms == 1000);
	CHECK(conf_is_client(&c1));
	/* A client without [Path] gets the implicit path "default". */
	CHECK(c1.npaths == 1 && strcmp(c1.paths[0].name, "default") == 0);
	CHECK(c1.paths[0].connections == 1 && !c1.paths[0].backup);
	CHECK(conf_path_endpoint(&c1, &c1.paths[0]) == &c1.endpoint);
	CHECK(strcmp(c1.endpoint.host, "vpn.example.net") == 0 && c1.endpoint.port == 7000);
	CHECK(c1.has_private_key && c1.peers[0].has_key && c1.npeers == 1 && !c1.has_psk);
	CHECK(c1.private_key[0] == 0x94 && c1.private_key[31] == 0x35);
	CHECK(strcmp(conf_sched_name(SCHED_REDUNDANT), "redundant") == 0);
	CHECK(strcmp(conf_cipher_name(CIPHER_AES256GCM), "aes256gcm") == 0);
	CHECK(strcmp(c1.file, "t.conf") == 0);
}

/* The value checks of conf_value.c on their own. */
static void
test_value_pieces(void)
{
	struct conf_addr a;
	uint8_t k[CONF_KEY_LEN];
	char why[256];
	long v;
	int ms, b;

	CHECK(conf_value_num("0", 0, 5, &v, why, sizeof why) == 0 && v == 0);
	CHECK(conf_value_num("0005", 0, 5, &v, why, sizeof why) == 0 && v == 5);
	CHECK(conf_value_num("6", 0, 5, &v, why, sizeof why) == -1);
	CHECK(strcmp(why, "out of range (0..5)") == 0);
	CHECK(conf_value_num("", 0, 5, &v, why, sizeof why) == -1);
	CHECK(conf_value_num("+1", 0, 5, &v, why, sizeof why) == -1);
	CHECK(conf_value_num("1 ", 0, 5, &v, why, sizeof why) == -1);
	CHECK(conf_value_num("99999999999999999999999999", 0, 5, &v, why, sizeof why) == -1);
	CHECK(strcmp(why, "out of range (0..5)") == 0);

	CHECK(conf_value_duration("20", 0, 5000, &ms, why, sizeof why) == 0 && ms == 20);
	CHECK(conf_value_duration("20ms", 0, 5000, &ms, why, sizeof why) == 0 && ms == 20);
	CHECK(conf_value_duration("5s", 0, 5000, &ms, why, sizeof why) == 0 && ms == 5000);
	CHECK(conf_value_duration("6s", 0, 5000, &ms, why, sizeof why) == -1);
	CHECK(conf_value_duration("s", 0, 5000, &ms, why, sizeof why) == -1);
	CHECK(conf_value_duration("1.5s", 0, 5000, &ms, why, sizeof why) == -1);
	CHECK(conf_value_duration("1 min", 0, 5000, &ms, why, sizeof why) == -1);
	CHECK(conf_value_duration("99999999999999999999s", 0, 5000, &ms, why, sizeof why) == -1);

	CHECK(conf_value_label("a.b_c-9", 31) && !conf_value_label("-a", 31));
	CHECK(!conf_value_label("", 31) && !conf_value_label("a/b", 31));
	CHECK(conf_value_ifname("wwan0") && conf_value_ifname("fifteen-chars-x"));
	CHECK(!conf_value_ifname("sixteen-chars-xx") && !conf_value_ifname(".."));
	CHECK(conf_value_congestion("bbr") && conf_value_congestion("htcp_2"));
	CHECK(!conf_value_congestion("") && !conf_value_congestion("Bbr"));
	CHECK(!conf_value_congestion("sixteen_chars_xx"));

	CHECK(conf_value_text("ok\ttab", 16, why, sizeof why) == 0);
	CHECK(conf_value_text("0123456789abcdef", 16, why, sizeof why) == -1);
	CHECK(conf_value_text("a\x7f", 16, why, sizeof why) == -1);

	CHECK(conf_value_addr("192.0.2.1/0", 1, &a, why, sizeof why) == 0 && a.prefix == 0);
	CHECK(a.family != 0 && a.addr[0] == 192 && a.addr[3] == 1);
	CHECK(conf_value_addr("::/128", 1, &a, why, sizeof why) == 0 && a.prefix == 128);
	CHECK(conf_value_addr("::1", 0, &a, why, sizeof why) == 0 && a.prefix == 128);
	CHECK(conf_value_addr("192.0.2.1/", 1, &a, why, sizeof why) == -1);
	CHECK(conf_value_addr("192.0.2.1/-1", 1, &a, why, sizeof why) == -1);
	CHECK(conf_value_addr("[::1]/64", 1, &a, why, sizeof why) == -1);
	CHECK(conf_value_addr("fe80::1%eth0/64", 1, &a, why, sizeof why) == -1);

	CHECK(conf_value_is_ip("192.0.2.1") && conf_value_is_ip("fe80::1%eth0"));
	CHECK(conf_value_is_ip("::") && !conf_value_is_ip("example.net"));
	CHECK(!conf_value_is_ip("192.0.2.1.5"));

	CHECK(conf_value_bool("Yes", &b) == 0 && b == 1);
	CHECK(conf_value_bool("0", &b) == 0 && b == 0);
	CHECK(conf_value_bool("", &b) == -1 && conf_value_bool("y", &b) == -1);

	CHECK(conf_value_key(KEY_A, k) == 0 && k[0] == 0x94);
	CHECK(conf_value_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", k) == 0);
	CHECK(conf_value_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", k) == -1);
	CHECK(conf_value_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-", k) == -1);
	CHECK(conf_value_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", k) == -1);
	CHECK(conf_value_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", k) == -1);
	CHECK(conf_value_key("", k) == -1);
}

static void
test_lexing(void)
{
	/* Case-insensitive keys and sections, comments, CRLF, a BOM, blanks around '='. */
	const char *t = "\xef\xbb\xbf# comment\r\n"
			"; another\r\n"
			"  [ INTERFACE ]  # trailing\r\n"
			"nAmE\t=\tmp7   ; trailing\r\n"
			"presharedkey=" KEY_A "\r\n"
			"mtu = 1400 # comment after a value\r\n"
			"PostUp = echo a#b ; c, d # kept verbatim\r\n"
			"listen = 192.0.2.1:7000,[2001:db8::1]:7000 , 0.0.0.0:7001\r\n";

	CHECK(parse(&c1, t) == 0);
	CHECK(strcmp(c1.ifname, "mp7") == 0);
	CHECK(c1.mtu == 1400);
	CHECK(strcmp(c1.post_up, "echo a#b ; c, d # kept verbatim") == 0);
	CHECK(c1.nlisten == 3 && !conf_is_client(&c1));
	CHECK(strcmp(c1.listen[1].host, "2001:db8::1") == 0 && c1.listen[1].port == 7000);
	CHECK(c1.npaths == 0);
	/* The last line needs no newline. */
	CHECK(parse(&c1, "[Interface]\nPresharedKey = " KEY_A "\nListen = 0.0.0.0:1") == 0);
}

static void
test_values(void)
{
	char buf[2048];

	/* Durations: bare numbers are milliseconds. */
	snprintf(buf, sizeof buf,
		 "%sReorderHold = 0\nRetransmitAge = 2s\nHeartbeat = 250 ms\nDeadTimeout = 3S\n",
		 "[Interface]\nPresharedKey = " KEY_A "\nListen = 0.0.0.0:1\n");
	CHECK(parse(&c1, buf) == 0);
	CHECK(c1.reorder_hold_ms == 0 && c1.retransmit_age_ms == 2000);
	CHECK(c1.heartbeat_ms == 250 && c1.dead_ms == 3000);

	/* Addresses keep their prefix; Source is a bare address. */
	CHECK(parse(&c1, "[Interface]\nPresharedKey = " KEY_A "\n"
			 "Address = 10.0.0.1/8, fd00::1/128\nAddress = 0.0.0.0/0\n"
			 "[Peer]\nEndpoint = 192.0.2.1:1\n"
			 "[Path]\nName = a\nSource = 2001:db8::5\nBackup = TRUE\n"
			 "Connections = 16\nPriority = 1000\nCongestion = bbr\n"
			 "[Path]\nName = b\nBackup = off\nEndpoint = [2001:db8::9]:9\n") == 0);
	CHECK(c1.naddrs == 3 && c1.addrs[0].prefix == 8 && c1.addrs[1].prefix == 128);
	CHECK(c1.addrs[1].family != c1.addrs[0].family);
	CHECK(c1.npaths == 2 && c1.paths[0].has_source && c1.paths[0].backup);
	CHECK(c1.paths[0].connections == 16 && c1.paths[0].priority == 1000);
	CHECK(strcmp(c1.paths[0].congestion, "bbr") == 0 && !c1.paths[1].backup);
	CHECK(conf_path_endpoint(&c1, &c1.paths[1]) == &c1.paths[1].endpoint);
	CHECK(conf_path_endpoint(&c1, &c1.paths[0]) == &c1.endpoint);
	CHECK(c1.paths[0].line == 7 && c1.paths[1].line == 14);

	/* Via: comma lists and repeated keys append hops in order. */
	CHECK(parse(&c1, "[Interface]\nPresharedKey = " KEY_A "\n[Peer]\nEndpoint = h:1\n"
			 "[Path]\nName = p\nVia = socks5://u:p@s.example.net:1080, "
			 "tcp://192.0.2.9:9\nVia = http://[2001:db8::3]:3128\n") == 0);
	CHECK(c1.paths[0].nvia == 3 && c1.paths[0].via[0].kind == VIA_SOCKS5);
	CHECK(strcmp(c1.paths[0].via[0].user, "u") == 0);
	CHECK(c1.paths[0].via[1].kind == VIA_TCP && c1.paths[0].via[2].kind == VIA_HTTP);
}

static void
test_errors(void)
{
	const char *hdr = "[Interface]\nPresharedKey = " KEY_A "\n";
	char buf[16384];

#define WITH(extra) (snprintf(buf, sizeof buf, "%s%s", hdr, extra), buf)
	EXPECT_ERR(WITH("Foo = 1\n"), "t.conf:3: unknown key 'Foo' in [Interface]");
	EXPECT_ERR(WITH("PublicKey = " KEY_B "\n"),
		   "t.conf:3: unknown key 'PublicKey' in [Interface] (it belongs in [Peer])");
	EXPECT_ERR(WITH("[Bogus]\n"), "t.conf:3: unknown section [Bogus]");
	EXPECT_ERR(WITH("[Interface]\n"),
		   "t.conf:3: duplicate section [Interface] (first on line 1)");
	EXPECT_ERR(WITH("[Peer\n"), "t.conf:3: unterminated section header '[Peer'");
	EXPECT_ERR(WITH("MTU\n"), "t.conf:3: expected 'Key = value' or '[Section]', not 'MTU'");
	EXPECT_ERR("Name = x\n", "t.conf:1: key 'Name' before any [Section]");
	EXPECT_ERR(WITH("MTU = 1400\nmtu = 1500\n"),
		   "t.conf:4: duplicate key 'MTU' (first on line 3)");
	EXPECT_ERR(WITH("MTU =   # nothing\n"), "t.conf:3: MTU: empty value");
	EXPECT_ERR(WITH("ControlSocket =#/x\n"), "t.conf:3: ControlSocket: empty value");
	EXPECT_ERR(WITH("ControlSocket=;x\n"), "t.conf:3: ControlSocket: empty value");
	EXPECT_ERR(WITH("MTU = 15OO\n"), "t.conf:3: MTU '15OO': not a number");
	EXPECT_ERR(WITH("MTU = -1\n"), "t.conf:3: MTU '-1': not a number");
	EXPECT_ERR(WITH("MTU = 575\n"), "t.conf:3: MTU '575': out of range (576..65535)");
	EXPECT_ERR(WITH("MTU = 99999999999999999999\n"),
		   "t.conf:3: MTU '99999999999999999999': out of range (576..65535)");
	EXPECT_ERR(WITH("Heartbeat = 5\n"),
		   "t.conf:3: Heartbeat '5': out of range (10ms..60000ms)");
	EXPECT_ERR(WITH("Heartbeat = 1m\n"),
		   "t.conf:3: Heartbeat '1m': not a duration (a number, then optionally ms or s)");
	EXPECT_ERR(WITH("Heartbeat = 600\n"),
		   "t.conf:3: DeadTimeout (1000ms) must be at least twice Heartbeat (600ms)");
	EXPECT_ERR(WITH("Address = 10.0.0.300/24\n"),
		   "t.conf:3: Address '10.0.0.300/24': not an IPv4 or IPv6 address");
	EXPECT_ERR(WITH("Address = 10.0.0.3\n"),
		   "t.conf:3: Address '10.0.0.3': missing /prefix length");
	EXPECT_ERR(WITH("Address = 10.0.0.3/33\n"),
		   "t.conf:3: Address '10.0.0.3/33': bad prefix length (0..32)");
	EXPECT_ERR(WITH("Address = fd00::1/64,\n"),
		   "t.conf:3: Address 'fd00::1/64,': empty item in the list");
	EXPECT_ERR(WITH("Address = fd00::1/64, fd00::1/48\n"),
		   "t.conf:3: Address 'fd00::1/48': address given twice");
	EXPECT_ERR(WITH("Name = waytoolongname16\n"),
		   "t.conf:3: Name 'waytoolongname16': not a device name (1 to 15 of A-Z a-z 0-9 "
		   "_ . -)");
	EXPECT_ERR(WITH("Mode = tap\n"), "t.conf:3: Mode 'tap': expected one of tun, udp");
	EXPECT_ERR(WITH("Scheduler = fastest\n"),
		   "t.conf:3: Scheduler 'fastest': expected one of balance, ordered, redundant");
	EXPECT_ERR(WITH("Listen = vpn.example.net:7000\n"),
		   "t.conf:3: Listen 'vpn.example.net:7000': the host must be an IP address, not "
		   "a name");
	EXPECT_ERR(WITH("Listen = 0.0.0.0:1\n[Peer]\nEndpoint = h:1\n"),
		   "t.conf:5: Endpoint is for the client side, but Listen (line 3) makes this a "
		   "server");
	EXPECT_ERR(WITH("Listen = 0.0.0.0:1\n[Path]\nName = a\n"),
		   "t.conf:4: [Path] is for the client side, but Listen (line 3) makes this a "
		   "server");
	EXPECT_ERR(WITH("PostUp = a\001b\n"),
		   "t.conf:3: PostUp 'a?b': control character at position 2");
	EXPECT_ERR(WITH(""), "t.conf:1: neither Listen (server) nor an Endpoint in [Peer] or "
			     "[Path] (client) is set");
	EXPECT_ERR(WITH("[Path]\nName = a\nEndpoint = h:1\n[Path]\nName = b\n"),
		   "t.conf:6: [Path] 'b': missing endpoint: set Endpoint here or in [Peer]");
	EXPECT_ERR(WITH("[Path]\nName = a\nEndpoint = h:1\n[Path]\nName = a\n"),
		   "t.conf:7: Name 'a': duplicate path name (first on line 3)");
	EXPECT_ERR(WITH("[Path]\nEndpoint = h:1\n"), "t.conf:3: [Path] without Name");
	EXPECT_ERR(WITH("[Path]\nName = a b\n"),
		   "t.conf:4: Name 'a b': not a path name (1 to 31 of A-Z a-z 0-9 _ . -)");
	EXPECT_ERR(WITH("[Path]\nName = a\nConnections = 17\n"),
		   "t.conf:5: Connections '17': out of range (1..16)");
	EXPECT_ERR(WITH("[Path]\nName = a\nBackup = maybe\n"),
		   "t.conf:5: Backup 'maybe': expected yes or no");
	EXPECT_ERR(WITH("[Path]\nName = a\nCongestion = BBR\n"),
		   "t.conf:5: Congestion 'BBR': not a congestion control name (1 to 15 of a-z 0-9 "
		   "_)");
	EXPECT_ERR(WITH("[Path]\nName = a\nSource = 10.0.0.1/24\n"),
		   "t.conf:5: Source '10.0.0.1/24': an address without /prefix is expected");
	EXPECT_ERR(WITH("[Path]\nName = a\nVia = tcp://a:1,tcp://b:2,tcp://c:3,tcp://d:4,"
			"tcp://e:5\n"),
		   "t.conf:5: Via 'tcp://e:5': more than 4 hops");
	EXPECT_ERR(WITH("Mode = udp\nAddress = 10.0.0.1/24\nUdpListen = 127.0.0.1:1\n"),
		   "t.conf:4: Address is for Mode = tun, not udp");
	EXPECT_ERR(WITH("Mode = udp\n"), "t.conf:3: Mode = udp needs UdpListen or UdpTarget");
	EXPECT_ERR(WITH("UdpTarget = 127.0.0.1:1\n"), "t.conf:3: UdpTarget needs Mode = udp");
	EXPECT_ERR(WITH("PresharedKeyFile = x\n"),
		   "t.conf:3: PresharedKey and PresharedKeyFile exclude each other");
	EXPECT_ERR("[Interface]\nPrivateKey = " KEY_A "\nListen = 0.0.0.0:1\n",
		   "t.conf:2: PrivateKey needs the peer's key: set [Peer] PublicKey");
	EXPECT_ERR("[Interface]\nListen = 0.0.0.0:1\n[Peer]\nPublicKey = " KEY_B "\n",
		   "t.conf:4: PublicKey needs our key: set PrivateKey in [Interface]");
	EXPECT_ERR("[Interface]\nListen = 0.0.0.0:1\n",
		   "t.conf:1: no keys: set PrivateKey and [Peer] PublicKey, or PresharedKey");
	EXPECT_ERR("[Interface]\nListen = 0.0.0.0:1\n"
		   "PresharedKey = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		   "t.conf:3: PresharedKey is all zeros: make one with \"mptun genkey\"");
	CHECK(parse(&c1, "[Interface]\nListen = 0.0.0.0:1\nPrivateKey = " KEY_A "\n"
			 "PresharedKey = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n[Peer]\n"
			 "PublicKey = " KEY_B "\n") == 0);
	EXPECT_ERR("", "t.conf:1: missing [Interface] section");
	EXPECT_ERR("[Peer]\nEndpoint = h:1\n", "t.conf:1: missing [Interface] section");

	/* Bad keys: wrong length, bad characters, bad padding; never echoed. */
	EXPECT_ERR("[Interface]\nPresharedKey = " KEY_A "A\n",
		   "t.conf:2: PresharedKey: not a key (44 characters of base64 encoding 32 "
		   "bytes)");
	EXPECT_ERR("[Interface]\nPresharedKey = lEnqJN1JCpqRhDi8anoOvDQ1gRwqxLcLtp9okCEczjU\n",
		   "t.conf:2: PresharedKey: not a key (44 characters of base64 encoding 32 "
		   "bytes)");
	EXPECT_ERR("[Interface]\nPresharedKey = lEnqJN1JCpqRhDi8anoOvDQ1gRwqxLcLtp9okCEcz!U=\n",
		   "t.conf:2: PresharedKey: not a key (44 characters of base64 encoding 32 "
		   "bytes)");
	EXPECT_ERR("[Interface]\nPresharedKey = lEnqJN1JCpqRhDi8anoOvDQ1gRwqxLcLtp9okCEcz==\n",
		   "t.conf:2: PresharedKey: not a key (44 characters of base64 encoding 32 "
		   "bytes)");

	/* Lines: too long, NUL bytes. */
	memset(buf, 'x', 9000);
	memcpy(buf, "[Interface]\n", 12);
	buf[9000] = '\0';
	EXPECT_ERR(buf, "t.conf:2: line longer than 8192 bytes");
	CHECK(conf_parse(&c1, "t.conf", "[Interface]\nName = a\0b\n", 22, err, sizeof err) == -1);
	CHECK(strcmp(err, "t.conf:2: NUL byte in the line") == 0);
	/* Long values are cut in messages; non-printable bytes are shown as '?'. */
	EXPECT_ERR(WITH("Name = \xc3\xa9"), "t.conf:3: Name '?"
					    "?': not a device name (1 to 15 of "
					    "A-Z a-z 0-9 _ . -)");
	/* A failed parse leaves no key behind. */
	CHECK(!c1.has_psk && c1.psk[0] == 0);
#undef WITH
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fchmod(fd, mode) == -1 || close(fd) == -1) {
		perror(path);
		exit(1);
	}
}

static void
test_key_files(void)
{
	char dir[] = "/tmp/test_conf.XXXXXX", path[256], name[300], cfg[512];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(path, sizeof path, "%s/k", dir);
	write_file(path, KEY_A "\n", 0600);
	snprintf(path, sizeof path, "%s/open", dir);
	write_file(path, KEY_A "\n", 0640);
	snprintf(path, sizeof path, "%s/junk", dir);
	write_file(path, "not a key\n", 0600);

	/* A relative name is relative to the config file's directory. */
	snprintf(name, sizeof name, "%s/x.conf", dir);
	snprintf(cfg, sizeof cfg,
		 "[Interface]\nPrivateKeyFile = k\nListen = 0.0.0.0:1\n[Peer]\nPublicKey = %s\n",
		 KEY_B);
	CHECK(conf_parse(&c1, name, cfg, strlen(cfg), err, sizeof err) == 0);
	CHECK(c1.has_private_key && c1.private_key[0] == 0x94);
	CHECK(strcmp(c1.private_key_file, "k") == 0);
	/* The canonical form names the file, not the key, and parses back. */
	{
		char *s = print_to_string(&c1);
		CHECK(strstr(s, "PrivateKeyFile = k\n") != NULL && strstr(s, KEY_A) == NULL);
		CHECK(conf_parse(&c2, name, s, strlen(s), err, sizeof err) == 0);
		CHECK(memcmp(c2.private_key, c1.private_key, CONF_KEY_LEN) == 0);
		free(s);
	}
	snprintf(cfg, sizeof cfg, "[Interface]\nPresharedKeyFile = %s/k\nListen = 0.0.0.0:1\n",
		 dir);
	CHECK(parse(&c1, cfg) == 0 && c1.has_psk && c1.psk[31] == 0x35);

	snprintf(cfg, sizeof cfg, "[Interface]\nPresharedKeyFile = open\nListen = 0.0.0.0:1\n");
	CHECK(conf_parse(&c1, name, cfg, strlen(cfg), err, sizeof err) == -1);
	snprintf(cfg, sizeof cfg,
		 "%s:2: PresharedKeyFile 'open': accessible by group or others (mode 0640): "
		 "chmod 600 it",
		 name);
	CHECK(strcmp(err, cfg) == 0);

	snprintf(cfg, sizeof cfg, "[Interface]\nPresharedKeyFile = junk\nListen = 0.0.0.0:1\n");
	CHECK(conf_parse(&c1, name, cfg, strlen(cfg), err, sizeof err) == -1);
	CHECK(strstr(err, ":2: PresharedKeyFile 'junk': does not hold a key") != NULL);

	snprintf(cfg, sizeof cfg, "[Interface]\nPresharedKeyFile = none\nListen = 0.0.0.0:1\n");
	CHECK(conf_parse(&c1, name, cfg, strlen(cfg), err, sizeof err) == -1);
	CHECK(strstr(err, ":2: PresharedKeyFile 'none': No such file or directory") != NULL);

	snprintf(cfg, sizeof cfg, "[Interface]\nPresharedKeyFile = .\nListen = 0.0.0.0:1\n");
	CHECK(conf_parse(&c1, name, cfg, strlen(cfg), err, sizeof err) == -1);
	CHECK(strstr(err, ":2: PresharedKeyFile '.': not a regular file") != NULL);

	/* conf_load: the file name is the one in messages. */
	write_file(name, "[Interface]\nPresharedKeyFile = k\nListen = 0.0.0.0:1\nMTU = 1\n", 0644);
	CHECK(conf_load(&c1, name, err, sizeof err) == -1);
	snprintf(cfg, sizeof cfg, "%s:4: MTU '1': out of range (576..65535)", name);
	CHECK(strcmp(err, cfg) == 0);
	CHECK(conf_load(&c1, dir, err, sizeof err) == -1 && strstr(err, "not a regular file"));

	snprintf(cfg, sizeof cfg, "rm -rf '%s'", dir);
	CHECK(system(cfg) == 0);
}

static void
test_round_trips(void)
{
	ROUND_TRIP(CLIENT);
	ROUND_TRIP("[Interface]\nPresharedKey = " KEY_A "\nListen = [::]:7000, 0.0.0.0:7000\n"
		   "Cipher = NONE\nScheduler = Ordered\nMode = udp\nUdpTarget = [::1]:51820\n"
		   "Name = u0\nUser = nobody\nControlSocket = /run/x.sock\nMTU = 65535\n");
	ROUND_TRIP("[Interface]\nPrivateKey = " KEY_A "\nPresharedKey = " KEY_B "\n"
		   "Address = 192.0.2.2/30, 2001:db8::2/64\nReorderHold = 1s\nRetransmitAge = 0\n"
		   "Heartbeat = 10\nDeadTimeout = 600s\n"
		   "PostUp = ip route add 0.0.0.0/1 dev %i # verbatim\nPreDown = a\n"
		   "PostDown = b\nOnPathUp = c, d\nOnPathDown = e;f\n"
		   "[Peer]\nPublicKey = " KEY_B "\nEndpoint = [2001:db8::1]:7000\n"
		   "[Path]\nName = fibre\nInterface = eth0\nSource = 192.0.2.77\n"
		   "Connections = 4\nPriority = 10\nCongestion = cubic\n"
		   "[Path]\nName = lte\nInterface = wwan0\nBackup = 1\nEndpoint = h.example.net:1\n"
		   "Via = socks5://us%3Aer:p%40ss%2C%23@[2001:db8::5]:1080, tcp://r:9,"
		   "http://a:b@proxy.example.net:3128, tcp://192.0.2.1:1\n");
	ROUND_TRIP("[Interface]\nPresharedKey = " KEY_A "\n[Path]\nName = a\nEndpoint = h:1\n"
		   "[Path]\nName = b.c_d-e\nEndpoint = 192.0.2.1:2\n");
}

#define KEY_C "YHVfe+2iyXzdOqnsHw53RB0HMumbY3XTlKBsKtg8uWc="
#define SERVER                                                                                     \
	"[Interface]\nPrivateKey = " KEY_A "\nListen = 0.0.0.0:7000\nAddress = 10.9.0.1/16\n"

/* Several [Peer] sections: a server's clients, each with its key, name and prefixes. */
static void
test_peers(void)
{
	static char big[600000];
	size_t off;
	int i;

	CHECK(parse(&c1, SERVER "[Peer]\nName = site-a\nPublicKey = " KEY_B "\n"
			    "AllowedIPs = 10.9.1.0/24, fd09:1::/64\n"
			    "[Peer]\nPublicKey = " KEY_C "\nPresharedKey = " KEY_A "\n"
			    "AllowedIPs = 10.9.2.7\n") == 0);
	CHECK(c1.npeers == 2 && c1.nallowed_ips == 3);
	CHECK(strcmp(c1.peers[0].name, "site-a") == 0 && c1.peers[0].has_name);
	CHECK(strcmp(c1.peers[1].name, "peer2") == 0 && !c1.peers[1].has_name);
	CHECK(c1.peers[0].allowed == 0 && c1.peers[0].nallowed == 2);
	CHECK(c1.peers[1].allowed == 2 && c1.peers[1].nallowed == 1);
	CHECK(c1.allowed_ips[2].prefix == 32 && c1.allowed_ips[2].addr[3] == 7);
	CHECK(!c1.peers[0].has_psk && c1.peers[1].has_psk);
	ROUND_TRIP(SERVER "[Peer]\nName = a\nPublicKey = " KEY_B "\nAllowedIPs = 10.9.1.0/24\n"
			  "[Peer]\nPublicKey = " KEY_C "\nPresharedKey = " KEY_B "\n"
			  "AllowedIPs = 10.9.2.0/24, ::/0\n");
	/* pre-shared-key mode: one implicit peer, none printed */
	CHECK(parse(&c1, "[Interface]\nPresharedKey = " KEY_A "\nListen = 0.0.0.0:1\n") == 0);
	CHECK(c1.npeers == 1 && c1.peers[0].line == 0);

	EXPECT_ERR(SERVER "[Peer]\nPublicKey = " KEY_B "\nAllowedIPs = 10.9.1.0/24\n"
			  "[Peer]\nPublicKey = " KEY_C "\n",
		   "t.conf:8: [Peer] 'peer2' has no AllowedIPs: with several peers, each needs the "
		   "inner addresses routed to it");
	EXPECT_ERR(SERVER "[Peer]\nPublicKey = " KEY_B "\nAllowedIPs = 10.9.1.0/24\n"
			  "[Peer]\nPublicKey = " KEY_B "\nAllowedIPs = 10.9.2.0/24\n",
		   "t.conf:9: PublicKey is peer 'peer1''s already (line 5): one key, one peer");
	EXPECT_ERR(SERVER "[Peer]\nName = x\nPublicKey = " KEY_B "\nAllowedIPs = 10.9.1.0/24\n"
			  "[Peer]\nName = x\n",
		   "t.conf:10: Name 'x': duplicate peer name (first on line 5)");
	EXPECT_ERR(SERVER "[Peer]\nName = peer2\nPublicKey = " KEY_B "\nAllowedIPs = 10.9.1.0/24\n"
			  "[Peer]\nPublicKey = " KEY_C "\nAllowedIPs = 10.9.2.0/24\n",
		   "t.conf:9: duplicate peer name 'peer2' (line 5)");
	EXPECT_ERR(SERVER "[Peer]\nPublicKey = " KEY_B "\nAllowedIPs = 10.9.1.0/24\n"
			  "[Peer]\nPublicKey = " KEY_C "\nAllowedIPs = 10.9.1.0/24\n",
		   "t.conf:10: AllowedIPs '10.9.1.0/24': 10.9.1.0/24 is peer 'peer1''s already "
		   "(line 5)");
	EXPECT_ERR("[Interface]\nPresharedKey = " KEY_A "\nListen = 0.0.0.0:1\n"
		   "[Peer]\nAllowedIPs = 10.0.0.0/8\n[Peer]\nAllowedIPs = 11.0.0.0/8\n",
		   "t.conf:6: several [Peer] sections need key pairs (PrivateKey, PublicKey): a "
		   "pre-shared key alone cannot tell peers apart");
	EXPECT_ERR("[Interface]\nPresharedKey = " KEY_A "\nListen = 0.0.0.0:1\n"
		   "[Peer]\nPresharedKey = " KEY_B "\n",
		   "t.conf:4: [Peer] PresharedKey goes with key pairs; with a pre-shared key alone, "
		   "set it in [Interface]");
	EXPECT_ERR(CLIENT_TEXT "[Peer]\nPublicKey = " KEY_C "\n",
		   "t.conf:6: a client (no Listen) has one [Peer], its server; several are for the "
		   "listening side");
	EXPECT_ERR(CLIENT_TEXT "[Peer]\nPublicKey = " KEY_C "\nEndpoint = a:1\n",
		   "t.conf:8: Endpoint is for a client's one [Peer] (already set on line 5)");
	EXPECT_ERR("[Interface]\nPrivateKey = " KEY_A "\nMode = udp\nUdpListen = 127.0.0.1:1\n"
		   "Listen = 0.0.0.0:1\n[Peer]\nPublicKey = " KEY_B "\n[Peer]\nPublicKey = " KEY_C
		   "\n",
		   "t.conf:8: Mode = udp serves one peer: one [Peer] only");
	/* the prefixes of all peers together are bounded */
	off = (size_t)snprintf(big, sizeof big, "%s[Peer]\nPublicKey = %s\n", SERVER, KEY_B);
	for (i = 0; i <= CONF_MAX_ALLOWED_IPS; i++)
		off += (size_t)snprintf(big + off, sizeof big - off, "AllowedIPs = 10.%d.%d.0/24\n",
					i / 256, i % 256);
	CHECK(conf_parse(&c1, "t.conf", big, off, err, sizeof err) == -1);
	CHECK(strstr(err, ":16391: AllowedIPs '10.64.0.0/24': more than 16384 prefixes in all") !=
	      NULL);
}

int
main(void)
{
	test_defaults();
	test_value_pieces();
	test_lexing();
	test_values();
	test_errors();
	test_key_files();
	test_round_trips();
	test_peers();
	if (failures != 0) {
		fprintf(stderr, "%d failure(s)\n", failures);
		return 1;
	}
	printf("test_conf: all passed\n");
	return 0;
}
