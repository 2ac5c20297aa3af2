/*
 * conf_print: the canonical form of a configuration, as "mptun check" prints it.
 *
 * Sections [Interface], [Peer], [Path]... in that order; keys in a fixed order with their
 * canonical spelling; one Address / Listen / AllowedIPs per line; a path's Via chain on
 * one line.
 * Every key that has a default is printed with its effective value (so check shows what
 * will run); optional keys that are unset are omitted; durations are in ms. Key files are
 * printed as their names, inline keys and passwords as they are (check is run by the
 * owner). Parsing the output gives the same struct, line numbers aside (round trip).
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>

#include <sodium.h>

#include "conf.h"
#include "conf_value.h"
#include "proxy.h"

#define CONF_VIA_TEXT_MAX 2048 /* one hop, percent-encoded credentials included */

static void
print_key(FILE *f, const char *name, const uint8_t k[CONF_KEY_LEN])
{
	char b64[CONF_KEY_B64_LEN + 1];

	sodium_bin2base64(b64, sizeof b64, k, CONF_KEY_LEN, sodium_base64_VARIANT_ORIGINAL);
	fprintf(f, "%s = %s\n", name, b64);
	sodium_memzero(b64, sizeof b64);
}

static void
print_hostport(FILE *f, const char *name, const struct conf_hostport *hp)
{
	char s[PROXY_LABEL_MAX];

	proxy_format_hostport(hp, s, sizeof s);
	fprintf(f, "%s = %s\n", name, s);
}

static void
print_addr(FILE *f, const char *name, const struct conf_addr *a, int with_prefix)
{
	char s[INET6_ADDRSTRLEN];

	inet_ntop(a->family, a->addr, s, sizeof s);
	if (with_prefix)
		fprintf(f, "%s = %s/%u\n", name, s, a->prefix);
	else
		fprintf(f, "%s = %s\n", name, s);
}

static void
print_str(FILE *f, const char *name, const char *val)
{
	if (val[0] != '\0')
		fprintf(f, "%s = %s\n", name, val);
}

/* A [Peer]; nothing for the implicit one of pre-shared-key mode. */
static void
print_peer(FILE *f, const struct conf *c, const struct conf_peer *pe)
{
	int i;

	if (pe->line == 0)
		return;
	fprintf(f, "\n[Peer]\n");
	if (pe->has_name)
		fprintf(f, "Name = %s\n", pe->name);
	if (pe->has_key)
		print_key(f, "PublicKey", pe->key);
	if (pe->has_psk)
		print_key(f, "PresharedKey", pe->psk);
	if (c->has_endpoint && pe == &c->peers[0])
		print_hostport(f, "Endpoint", &c->endpoint);
	for (i = pe->allowed; i < pe->allowed + pe->nallowed; i++)
		print_addr(f, "AllowedIPs", &c->allowed_ips[i], 1);
}

static void
print_path(FILE *f, const struct conf_path *pa)
{
	char hop[CONF_VIA_TEXT_MAX];
	int i;

	fprintf(f, "\n[Path]\nName = %s\n", pa->name);
	print_str(f, "Interface", pa->ifname);
	if (pa->has_source)
		print_addr(f, "Source", &pa->source, 0);
	if (pa->has_endpoint)
		print_hostport(f, "Endpoint", &pa->endpoint);
	for (i = 0; i < pa->nvia; i++) {
		proxy_format_via(&pa->via[i], hop, sizeof hop);
		fprintf(f, "%s%s", i == 0 ? "Via = " : ", ", hop);
	}
	if (pa->nvia > 0)
		fputc('\n', f);
	sodium_memzero(hop, sizeof hop);
	fprintf(f, "Connections = %d\nPriority = %d\nBackup = %s\nExpress = %s\n", pa->connections,
		pa->priority, pa->backup ? "yes" : "no", pa->express ? "yes" : "no");
	print_str(f, "Congestion", pa->congestion);
	if (pa->has_dscp && conf_value_dscp_name(pa->dscp) != NULL)
		fprintf(f, "DSCP = %s\n", conf_value_dscp_name(pa->dscp));
	else if (pa->has_dscp)
		fprintf(f, "DSCP = %d\n", pa->dscp);
}

void
conf_print(const struct conf *c, FILE *f)
{
	int i;

	fprintf(f, "[Interface]\nName = %s\nMode = %s\n", c->ifname, conf_mode_name(c->mode));
	for (i = 0; i < c->naddrs; i++)
		print_addr(f, "Address", &c->addrs[i], 1);
	fprintf(f, "MTU = %d\n", c->mtu);
	for (i = 0; i < c->nlisten; i++)
		print_hostport(f, "Listen", &c->listen[i]);
	if (c->private_key_file[0] != '\0')
		print_str(f, "PrivateKeyFile", c->private_key_file);
	else if (c->has_private_key)
		print_key(f, "PrivateKey", c->private_key);
	if (c->psk_file[0] != '\0')
		print_str(f, "PresharedKeyFile", c->psk_file);
	else if (c->has_psk)
		print_key(f, "PresharedKey", c->psk);
	fprintf(f, "Cipher = %s\nScheduler = %s\n", conf_cipher_name(c->cipher),
		conf_sched_name(c->sched));
	print_str(f, "ControlSocket", c->control_socket);
	print_str(f, "User", c->user);
	if (c->has_udp_listen)
		print_hostport(f, "UdpListen", &c->udp_listen);
	if (c->has_udp_target)
		print_hostport(f, "UdpTarget", &c->udp_target);
	if (c->mode == MODE_UDP)
		fprintf(f, "PlayoutDelay = %dms\n", c->playout_ms);
	fprintf(f, "ReorderHold = %dms\nRetransmitAge = %dms\nHeartbeat = %dms\n",
		c->reorder_hold_ms, c->retransmit_age_ms, c->heartbeat_ms);
	fprintf(f, "DeadTimeout = %dms\n", c->dead_ms);
	print_str(f, "PostUp", c->post_up);
	print_str(f, "PreDown", c->pre_down);
	print_str(f, "PostDown", c->post_down);
	print_str(f, "OnPathUp", c->on_path_up);
	print_str(f, "OnPathDown", c->on_path_down);

	for (i = 0; i < c->npeers; i++)
		print_peer(f, c, &c->peers[i]);
	for (i = 0; i < c->npaths; i++)
		print_path(f, &c->paths[i]);
}
