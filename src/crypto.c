/*
 * crypto: keys, the connection handshake and the record layer (see crypto.h and
 * doc/security.md).
 *
 * Handshake messages (all lengths fixed):
 *
 *   msg1 = type (1) || Noise message 1 (139) || mac1 (16)                 = 156 bytes
 *   msg2 = type (1) || Noise message 2 (84)                               =  85 bytes
 *
 * The Noise prologue is "mptun-v1" || type, so the type byte is authenticated. mac1 is a
 * keyed BLAKE2b-128 of everything before it, keyed by a hash of the responder's public key
 * (or of the pre-shared key): the responder drops bytes not meant for it before doing any
 * Diffie-Hellman. Payloads, inside Noise encryption, read through struct rd:
 *
 *   payload1 = version (1) || timestamp (8) || cipher set (1) || n (1) || opaque (32)
 *              [|| 48 zero bytes in pre-shared-key mode, so both msg1 have one length]
 *   payload2 = version (1) || cipher (1, or CIPHER_REJECT) || cipher set (1) || n (1)
 *              || opaque (32)
 *
 * Opaque bytes past n are zero. Nothing here logs a key, and nothing logs per packet.
 */
#include "config.h"

#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "crypto.h"
#include "log.h"
#include "vaes.h"

#define HS_VERSION    1
#define HS_PROLOGUE   "mptun-v1"
#define MAC1_LABEL    "mptun mac1"
#define MAC1_LEN      16
#define REKEY_LABEL   "mptun rekey v1"
#define CIPHER_REJECT 0xff
#define NONCE_LEN     12

#define PAYLOAD1_LEN (1 + 8 + 1 + 1 + CRYPTO_HS_PAYLOAD_MAX)
#define PAYLOAD2_LEN (1 + 1 + 1 + 1 + CRYPTO_HS_PAYLOAD_MAX)
#define NOISE1_LEN   (CRYPTO_MSG1_LEN - 1 - MAC1_LEN)
#define NOISE2_LEN   (CRYPTO_MSG2_LEN - 1)
/* Pre-shared-key mode pads payload1 so msg1 has the same length in both modes. */
#define PSK_PAD	    (NOISE1_LEN - NOISE_DHLEN - NOISE_TAGLEN - PAYLOAD1_LEN)
#define PAYLOAD_BUF (PAYLOAD1_LEN + PSK_PAD)

/* A cipher set: one bit per enum crypto_cipher value except AUTO. */
#define CIPHER_BIT(c) ((uint8_t)(1u << (c)))
#define CIPHER_ALL                                                                                 \
	(CIPHER_BIT(CRYPTO_CIPHER_CHACHA20POLY1305) | CIPHER_BIT(CRYPTO_CIPHER_AES256GCM) |        \
	 CIPHER_BIT(CRYPTO_CIPHER_NONE) | CIPHER_BIT(CRYPTO_CIPHER_AEGIS256X4))

_Static_assert(PSK_PAD == 48, "msg1 lengths of both modes differ");
_Static_assert(1 + NOISE_DHLEN + NOISE_DHLEN + NOISE_TAGLEN + PAYLOAD1_LEN + NOISE_TAGLEN +
			       MAC1_LEN ==
		       CRYPTO_MSG1_LEN,
	       "CRYPTO_MSG1_LEN");
_Static_assert(1 + NOISE_DHLEN + PAYLOAD2_LEN + NOISE_TAGLEN == CRYPTO_MSG2_LEN, "CRYPTO_MSG2_LEN");
_Static_assert(CRYPTO_RECORD_MAX <= CRYPTO_REC_LEN_MASK, "CRYPTO_RECORD_MAX");

int
crypto_init(void)
{
	static const uint8_t key[AEAD_KEY_LEN];
	struct aead a;

	if (sodium_init() < 0)
		return -1;
	/* the record cipher library must key what may be negotiated: fail here, not later */
	if (aead_init(&a, AEAD_CHACHA20POLY1305, key) == -1)
		return -1;
	aead_wipe(&a);
	if (crypto_cipher_usable(CRYPTO_CIPHER_AES256GCM)) {
		if (aead_init(&a, AEAD_AES256GCM, key) == -1)
			return -1;
		aead_wipe(&a);
	}
	return 0; /* AEGIS-256X4 is ours: no library to fail */
}

int
crypto_cipher_usable(enum crypto_cipher c)
{
	switch (c) {
	case CRYPTO_CIPHER_AES256GCM:
		return crypto_aead_aes256gcm_is_available();
	case CRYPTO_CIPHER_AEGIS256X4:
		return vaes_usable();
	default:
		return 1;
	}
}

const char *
crypto_strerror(int err)
{
	switch (err) {
	case CRYPTO_OK:
		return "ok";
	case CRYPTO_ERR_SHORT:
		return "short";
	case CRYPTO_ERR_MALFORMED:
		return "malformed";
	case CRYPTO_ERR_MAC:
		return "bad MAC";
	case CRYPTO_ERR_UNKNOWN_PEER:
		return "unknown peer";
	case CRYPTO_ERR_REPLAY:
		return "replay";
	case CRYPTO_ERR_CIPHER:
		return "cipher mismatch";
	case CRYPTO_ERR_MODE:
		return "mode mismatch";
	case CRYPTO_ERR_STATE:
		return "bad state";
	case CRYPTO_ERR_LIMIT:
		return "counter exhausted";
	case CRYPTO_ERR_KEY:
		return "bad key";
	case CRYPTO_ERR_NOMEM:
		return "out of memory";
	default:
		return "unknown";
	}
}

const char *
crypto_cipher_name(enum crypto_cipher c)
{
	switch (c) {
	case CRYPTO_CIPHER_AUTO:
		return "auto";
	case CRYPTO_CIPHER_CHACHA20POLY1305:
		return "chacha20poly1305";
	case CRYPTO_CIPHER_AES256GCM:
		return "aes256gcm";
	case CRYPTO_CIPHER_NONE:
		return "none";
	case CRYPTO_CIPHER_AEGIS256X4:
		return "aegis256x4";
	}
	return "unknown";
}

/* ---- keys ---- */

int
crypto_key_from_base64(uint8_t out[CRYPTO_KEY_LEN], const char *s)
{
	uint8_t tmp[CRYPTO_KEY_LEN];
	size_t binlen;
	int rc;

	/* Exactly 44 characters; libsodium refuses non-canonical trailing bits. */
	if (strlen(s) != CRYPTO_KEY_B64_LEN)
		return -1;
	rc = sodium_base642bin(tmp, sizeof(tmp), s, CRYPTO_KEY_B64_LEN, NULL, &binlen, NULL,
			       sodium_base64_VARIANT_ORIGINAL);
	if (rc == 0 && binlen == CRYPTO_KEY_LEN)
		memcpy(out, tmp, CRYPTO_KEY_LEN);
	else
		rc = -1;
	sodium_memzero(tmp, sizeof(tmp));
	return rc;
}

void
crypto_key_to_base64(char out[CRYPTO_KEY_B64_LEN + 1], const uint8_t k[CRYPTO_KEY_LEN])
{
	sodium_bin2base64(out, CRYPTO_KEY_B64_LEN + 1, k, CRYPTO_KEY_LEN,
			  sodium_base64_VARIANT_ORIGINAL);
}

void
crypto_pubkey(uint8_t pub[CRYPTO_KEY_LEN], const uint8_t priv[CRYPTO_KEY_LEN])
{
	crypto_scalarmult_base(pub, priv);
}

void
crypto_genkey(uint8_t priv[CRYPTO_KEY_LEN])
{
	randombytes_buf(priv, CRYPTO_KEY_LEN);
	/* Clamp as wg(8) does, so the stored key is the scalar X25519 uses. */
	priv[0] &= 248;
	priv[31] = (uint8_t)((priv[31] & 127) | 64);
}

int
crypto_cmd_genkey(void)
{
	uint8_t priv[CRYPTO_KEY_LEN];
	char b64[CRYPTO_KEY_B64_LEN + 1];
	int rc = 0;

	if (crypto_init() == -1) {
		log_warnx("genkey: libsodium failed to initialise");
		return 1;
	}
	crypto_genkey(priv);
	crypto_key_to_base64(b64, priv);
	if (printf("%s\n", b64) < 0 || fflush(stdout) == EOF)
		rc = 1;
	sodium_memzero(priv, sizeof(priv));
	sodium_memzero(b64, sizeof(b64));
	return rc;
}

int
crypto_cmd_pubkey(FILE *in)
{
	uint8_t priv[CRYPTO_KEY_LEN], pub[CRYPTO_KEY_LEN];
	char line[128], b64[CRYPTO_KEY_B64_LEN + 1];
	size_t n;
	int rc = 1;

	if (crypto_init() == -1) {
		log_warnx("pubkey: libsodium failed to initialise");
		return 1;
	}
	if (fgets(line, sizeof(line), in) == NULL) {
		log_warnx("pubkey: no private key on standard input");
		goto out;
	}
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
			 line[n - 1] == '\t'))
		line[--n] = '\0';
	if (crypto_key_from_base64(priv, line) == -1) {
		log_warnx("pubkey: not a base64 private key");
		goto out;
	}
	crypto_pubkey(pub, priv);
	crypto_key_to_base64(b64, pub);
	rc = printf("%s\n", b64) < 0 || fflush(stdout) == EOF;
out:
	sodium_memzero(line, sizeof(line));
	sodium_memzero(priv, sizeof(priv));
	return rc;
}

/* ---- identity and peers ---- */

/* BLAKE2b-256(MAC1_LABEL || k): the mac1 key of a responder known by k. */
static void
mac1_key(uint8_t out[CRYPTO_KEY_LEN], const uint8_t k[CRYPTO_KEY_LEN])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, CRYPTO_KEY_LEN);
	crypto_generichash_update(&st, (const uint8_t *)MAC1_LABEL, strlen(MAC1_LABEL));
	crypto_generichash_update(&st, k, CRYPTO_KEY_LEN);
	crypto_generichash_final(&st, out, CRYPTO_KEY_LEN);
	sodium_memzero(&st, sizeof(st));
}

static void
mac1(uint8_t out[MAC1_LEN], const uint8_t key[CRYPTO_KEY_LEN], const uint8_t *msg, size_t len)
{
	crypto_generichash(out, MAC1_LEN, msg, len, key, CRYPTO_KEY_LEN);
}

int
crypto_id_init(struct crypto_id *id, const uint8_t *priv, const uint8_t *psk,
	       enum crypto_cipher cipher)
{
	static const uint8_t zero[CRYPTO_KEY_LEN];
	int c;

	memset(id, 0, sizeof(*id));
	id->cipher = cipher;
	switch (cipher) {
	case CRYPTO_CIPHER_AUTO:
		/* every record cipher this CPU runs; never none */
		for (c = CRYPTO_CIPHER_CHACHA20POLY1305; c <= CRYPTO_CIPHER_AEGIS256X4; c++)
			if (c != CRYPTO_CIPHER_NONE && crypto_cipher_usable((enum crypto_cipher)c))
				id->accept |= CIPHER_BIT(c);
		break;
	case CRYPTO_CIPHER_CHACHA20POLY1305:
	case CRYPTO_CIPHER_AES256GCM:
	case CRYPTO_CIPHER_NONE:
	case CRYPTO_CIPHER_AEGIS256X4:
		if (!crypto_cipher_usable(cipher))
			return CRYPTO_ERR_CIPHER;
		id->accept = CIPHER_BIT(cipher);
		break;
	default:
		return CRYPTO_ERR_STATE;
	}
	if (psk != NULL)
		memcpy(id->psk, psk, CRYPTO_KEY_LEN);
	if (priv != NULL) {
		id->mode = CRYPTO_MODE_KEYS;
		memcpy(id->priv, priv, CRYPTO_KEY_LEN);
		crypto_pubkey(id->pub, id->priv);
		if (sodium_is_zero(id->pub, sizeof(id->pub)))
			goto bad;
		mac1_key(id->mac1_key, id->pub);
	} else {
		/* Pre-shared-key mode needs a key, and an all-zero one is no secret. */
		id->mode = CRYPTO_MODE_PSK;
		if (psk == NULL || sodium_memcmp(psk, zero, CRYPTO_KEY_LEN) == 0)
			goto bad;
		mac1_key(id->mac1_key, id->psk);
	}
	return CRYPTO_OK;
bad:
	crypto_id_wipe(id);
	return CRYPTO_ERR_KEY;
}

void
crypto_id_wipe(struct crypto_id *id)
{
	sodium_memzero(id, sizeof(*id));
}

void
crypto_peer_init(struct crypto_peer *peer, const uint8_t *pub)
{
	memset(peer, 0, sizeof(*peer));
	if (pub != NULL)
		memcpy(peer->pub, pub, CRYPTO_KEY_LEN);
}

void
crypto_peer_set_psk(struct crypto_peer *peer, const uint8_t *psk)
{
	memcpy(peer->psk, psk, CRYPTO_KEY_LEN);
	peer->has_psk = 1;
}

void
crypto_peer_wipe(struct crypto_peer *peer)
{
	sodium_memzero(peer, sizeof(*peer));
}

/* The pre-shared key of handshakes with peer. */
static const uint8_t *
peer_psk(const struct crypto_id *id, const struct crypto_peer *peer)
{
	return id->mode == CRYPTO_MODE_KEYS && peer->has_psk ? peer->psk : id->psk;
}

/*
 * Replay check of a msg1 timestamp. The connections of one peer dial at once over paths
 * of different delay, so their msg1 may arrive out of order: instead of "greater than the
 * last" (WireGuard's rule, for one handshake at a time) a timestamp must be above the floor,
 * within the window behind the newest, and not one of the CRYPTO_REPLAY_SLOTS remembered.
 * Everything forgotten is at or below the floor, so no accepted timestamp is accepted twice.
 */
static int
replay_check(const struct crypto_peer *p, uint64_t ts)
{
	size_t i;

	if (ts == 0 || ts <= p->rx_floor)
		return CRYPTO_ERR_REPLAY;
	if (p->rx_max > CRYPTO_REPLAY_WINDOW_NS && ts < p->rx_max - CRYPTO_REPLAY_WINDOW_NS)
		return CRYPTO_ERR_REPLAY;
	for (i = 0; i < CRYPTO_REPLAY_SLOTS; i++)
		if (p->rx_seen[i] == ts)
			return CRYPTO_ERR_REPLAY;
	return CRYPTO_OK;
}

static void
replay_commit(struct crypto_peer *p, uint64_t ts)
{
	size_t i, slot = CRYPTO_REPLAY_SLOTS, low = 0;

	if (ts > p->rx_max)
		p->rx_max = ts;
	for (i = 0; i < CRYPTO_REPLAY_SLOTS; i++) {
		uint64_t v = p->rx_seen[i];

		/* Forget what fell out of the window; the floor remembers it. */
		if (v != 0 && p->rx_max > CRYPTO_REPLAY_WINDOW_NS &&
		    v < p->rx_max - CRYPTO_REPLAY_WINDOW_NS) {
			if (v > p->rx_floor)
				p->rx_floor = v;
			p->rx_seen[i] = v = 0;
		}
		if (v == 0 && slot == CRYPTO_REPLAY_SLOTS)
			slot = i;
		if (v != 0 && (p->rx_seen[low] == 0 || v < p->rx_seen[low]))
			low = i;
	}
	if (slot == CRYPTO_REPLAY_SLOTS) {
		/* Full: the oldest becomes the floor (it and everything below are refused). */
		if (ts < p->rx_seen[low]) {
			p->rx_floor = ts;
			return;
		}
		p->rx_floor = p->rx_seen[low];
		slot = low;
	}
	p->rx_seen[slot] = ts;
}

/* ---- handshake ---- */

/* The fastest both ends have: the order of their speed on a CPU that has them all. */
static int
pick_cipher(uint8_t set)
{
	if (set & CIPHER_BIT(CRYPTO_CIPHER_AEGIS256X4))
		return CRYPTO_CIPHER_AEGIS256X4;
	if (set & CIPHER_BIT(CRYPTO_CIPHER_AES256GCM))
		return CRYPTO_CIPHER_AES256GCM;
	if (set & CIPHER_BIT(CRYPTO_CIPHER_CHACHA20POLY1305))
		return CRYPTO_CIPHER_CHACHA20POLY1305;
	if (set & CIPHER_BIT(CRYPTO_CIPHER_NONE))
		return CRYPTO_CIPHER_NONE;
	return -1;
}

static void
prologue(uint8_t out[sizeof(HS_PROLOGUE)], uint8_t type)
{
	memcpy(out, HS_PROLOGUE, sizeof(HS_PROLOGUE) - 1);
	out[sizeof(HS_PROLOGUE) - 1] = type;
}

/* Write n opaque bytes and zero padding up to CRYPTO_HS_PAYLOAD_MAX. */
static void
put_opaque(struct wr *w, const uint8_t *p, size_t n)
{
	static const uint8_t zero[CRYPTO_HS_PAYLOAD_MAX];

	wr_u8(w, (uint8_t)n);
	wr_bytes(w, p, n);
	wr_bytes(w, zero, CRYPTO_HS_PAYLOAD_MAX - n);
}

/* Read the opaque field, check its padding (and any pad after it) is zero. Length or -1. */
static int
get_opaque(struct rd *r, uint8_t out[CRYPTO_HS_PAYLOAD_MAX])
{
	const uint8_t *p, *pad;
	size_t left;
	uint8_t n;

	if (rd_u8(r, &n) == -1 || n > CRYPTO_HS_PAYLOAD_MAX ||
	    rd_ptr(r, &p, CRYPTO_HS_PAYLOAD_MAX) == -1)
		return -1;
	if (!sodium_is_zero(p + n, CRYPTO_HS_PAYLOAD_MAX - n))
		return -1;
	left = rd_left(r);
	if (left > 0 && (rd_ptr(r, &pad, left) == -1 || !sodium_is_zero(pad, left)))
		return -1;
	memcpy(out, p, n);
	return n;
}

int
crypto_hs_initiate(struct crypto_hs *hs, const struct crypto_id *id, struct crypto_peer *peer,
		   uint64_t now_ns, const uint8_t *payload, size_t plen,
		   uint8_t out[CRYPTO_MSG1_LEN])
{
	uint8_t pl[PAYLOAD_BUF], pro[sizeof(HS_PROLOGUE)], key[CRYPTO_KEY_LEN];
	uint8_t type = id->mode == CRYPTO_MODE_KEYS ? CRYPTO_MSG_INIT_KEYS : CRYPTO_MSG_INIT_PSK;
	struct wr w;
	size_t n;
	uint64_t ts;
	int rc;

	memset(hs, 0, sizeof(*hs));
	hs->state = CRYPTO_HS_FAILED;
	if (plen > CRYPTO_HS_PAYLOAD_MAX || (plen > 0 && payload == NULL))
		return CRYPTO_ERR_STATE;
	hs->mode = id->mode;
	hs->initiator = 1;
	hs->offer = id->accept;
	hs->peer = peer;
	prologue(pro, type);
	if (id->mode == CRYPTO_MODE_KEYS)
		rc = noise_init(&hs->nz, NOISE_IKPSK2, 1, pro, sizeof(pro), id->priv, peer->pub,
				peer_psk(id, peer));
	else
		rc = noise_init(&hs->nz, NOISE_NNPSK0, 1, pro, sizeof(pro), NULL, NULL, id->psk);
	if (rc == -1)
		return CRYPTO_ERR_STATE;

	/* Strictly increasing, even when the clock stalls or steps back. */
	ts = now_ns > peer->tx_ts ? now_ns : peer->tx_ts + 1;
	peer->tx_ts = ts;

	memset(pl, 0, sizeof(pl));
	wr_init(&w, pl, sizeof(pl));
	wr_u8(&w, HS_VERSION);
	wr_u64(&w, ts);
	wr_u8(&w, hs->offer);
	put_opaque(&w, payload, plen);
	n = id->mode == CRYPTO_MODE_KEYS ? PAYLOAD1_LEN : PAYLOAD1_LEN + PSK_PAD;

	out[0] = type;
	rc = noise_write(&hs->nz, pl, n, out + 1, NOISE1_LEN, &n);
	sodium_memzero(pl, sizeof(pl));
	if (rc == -1 || n != NOISE1_LEN) {
		noise_wipe(&hs->nz);
		return CRYPTO_ERR_KEY;
	}
	mac1_key(key, id->mode == CRYPTO_MODE_KEYS ? peer->pub : id->psk);
	mac1(out + 1 + NOISE1_LEN, key, out, 1 + NOISE1_LEN);
	sodium_memzero(key, sizeof(key));
	hs->state = CRYPTO_HS_SENT1;
	return CRYPTO_OK;
}

/* Parse payload1 (n bytes at pl). Returns the opaque length or -1. */
static int
parse_payload1(const uint8_t *pl, size_t n, uint64_t *ts, uint8_t *offer,
	       uint8_t out[CRYPTO_HS_PAYLOAD_MAX])
{
	struct rd r;
	uint8_t ver;

	rd_init(&r, pl, n);
	if (rd_u8(&r, &ver) == -1 || ver != HS_VERSION || rd_u64(&r, ts) == -1 ||
	    rd_u8(&r, offer) == -1)
		return -1;
	*offer &= CIPHER_ALL; /* ciphers of a later version: not ours to pick */
	return get_opaque(&r, out);
}

/* crypto_hs_respond's table: an array searched in order. */
struct peer_array {
	struct crypto_peer *peers;
	size_t n;
};

static struct crypto_peer *
array_find(void *arg, const uint8_t *pub)
{
	struct peer_array *a = arg;
	size_t i;

	if (pub == NULL)
		return a->n == 1 ? &a->peers[0] : NULL;
	for (i = 0; i < a->n; i++)
		if (sodium_memcmp(pub, a->peers[i].pub, CRYPTO_KEY_LEN) == 0)
			return &a->peers[i];
	return NULL;
}

int
crypto_hs_respond(struct crypto_hs *hs, const struct crypto_id *id, struct crypto_peer *peers,
		  size_t npeers, const uint8_t in[CRYPTO_MSG1_LEN],
		  uint8_t payload[CRYPTO_HS_PAYLOAD_MAX], size_t *plen)
{
	struct peer_array a = {peers, npeers};

	if (npeers == 0 || (id->mode == CRYPTO_MODE_PSK && npeers != 1)) {
		memset(hs, 0, sizeof(*hs));
		hs->state = CRYPTO_HS_FAILED;
		return CRYPTO_ERR_STATE;
	}
	return crypto_hs_respond_find(hs, id, array_find, &a, in, payload, plen);
}

int
crypto_hs_respond_find(struct crypto_hs *hs, const struct crypto_id *id, crypto_find_peer find,
		       void *arg, const uint8_t in[CRYPTO_MSG1_LEN],
		       uint8_t payload[CRYPTO_HS_PAYLOAD_MAX], size_t *plen)
{
	uint8_t pl[PAYLOAD_BUF], pro[sizeof(HS_PROLOGUE)], mac[MAC1_LEN];
	uint8_t type = id->mode == CRYPTO_MODE_KEYS ? CRYPTO_MSG_INIT_KEYS : CRYPTO_MSG_INIT_PSK;
	const uint8_t *rs;
	struct crypto_peer *peer = NULL;
	uint64_t ts;
	uint8_t offer;
	size_t n;
	int rc, op, c;

	memset(hs, 0, sizeof(*hs));
	hs->state = CRYPTO_HS_FAILED;
	if (in[0] != type)
		return in[0] == CRYPTO_MSG_INIT_KEYS || in[0] == CRYPTO_MSG_INIT_PSK
			       ? CRYPTO_ERR_MODE
			       : CRYPTO_ERR_MALFORMED;
	/* mac1 first: a stranger costs one hash, not two Diffie-Hellman operations. */
	mac1(mac, id->mac1_key, in, 1 + NOISE1_LEN);
	if (sodium_memcmp(mac, in + 1 + NOISE1_LEN, MAC1_LEN) != 0)
		return CRYPTO_ERR_MAC;

	hs->mode = id->mode;
	hs->accept = id->accept;
	prologue(pro, type);
	if (id->mode == CRYPTO_MODE_KEYS)
		rc = noise_init(&hs->nz, NOISE_IKPSK2, 0, pro, sizeof(pro), id->priv, NULL,
				id->psk);
	else
		rc = noise_init(&hs->nz, NOISE_NNPSK0, 0, pro, sizeof(pro), NULL, NULL, id->psk);
	if (rc == -1)
		return CRYPTO_ERR_STATE;
	rc = CRYPTO_ERR_MAC;
	if (noise_read(&hs->nz, in + 1, NOISE1_LEN, pl, sizeof(pl), &n) == -1)
		goto fail;

	/* Authenticated from here on: the sender knows a key we trust (or the psk). */
	if (id->mode == CRYPTO_MODE_KEYS) {
		rs = noise_remote_static(&hs->nz);
		if (rs != NULL)
			peer = find(arg, rs);
		rc = CRYPTO_ERR_UNKNOWN_PEER;
		if (peer == NULL)
			goto fail;
		/* IKpsk2 mixes the pre-shared key in at msg2: this peer's, if it has one */
		if (peer->has_psk)
			noise_set_psk(&hs->nz, peer->psk);
	} else if ((peer = find(arg, NULL)) == NULL) {
		rc = CRYPTO_ERR_STATE;
		goto fail;
	}

	rc = CRYPTO_ERR_MALFORMED;
	op = parse_payload1(pl, n, &ts, &offer, payload);
	if (op == -1)
		goto fail;
	rc = replay_check(peer, ts);
	if (rc != CRYPTO_OK)
		goto fail;
	replay_commit(peer, ts);
	sodium_memzero(pl, sizeof(pl));

	hs->peer = peer;
	hs->offer = offer;
	c = pick_cipher(offer & id->accept);
	if (c == -1) {
		hs->state = CRYPTO_HS_REJECT;
		return CRYPTO_ERR_CIPHER;
	}
	hs->cipher = (enum crypto_cipher)c;
	*plen = (size_t)op;
	hs->state = CRYPTO_HS_GOT1;
	return CRYPTO_OK;
fail:
	sodium_memzero(pl, sizeof(pl));
	crypto_hs_wipe(hs);
	hs->state = CRYPTO_HS_FAILED;
	return rc;
}

int
crypto_hs_reply(struct crypto_hs *hs, const uint8_t *payload, size_t plen,
		uint8_t out[CRYPTO_MSG2_LEN])
{
	uint8_t pl[PAYLOAD2_LEN];
	struct wr w;
	size_t n;
	int reject = hs->state == CRYPTO_HS_REJECT, rc;

	if ((hs->state != CRYPTO_HS_GOT1 && !reject) || plen > CRYPTO_HS_PAYLOAD_MAX ||
	    (plen > 0 && payload == NULL))
		return CRYPTO_ERR_STATE;
	wr_init(&w, pl, sizeof(pl));
	wr_u8(&w, HS_VERSION);
	wr_u8(&w, reject ? CIPHER_REJECT : (uint8_t)hs->cipher);
	wr_u8(&w, hs->accept);
	put_opaque(&w, reject ? NULL : payload, reject ? 0 : plen);
	out[0] = CRYPTO_MSG_RESP;
	rc = noise_write(&hs->nz, pl, sizeof(pl), out + 1, NOISE2_LEN, &n);
	sodium_memzero(pl, sizeof(pl));
	if (rc == -1 || n != NOISE2_LEN) {
		crypto_hs_wipe(hs);
		return CRYPTO_ERR_KEY;
	}
	if (reject) {
		crypto_hs_wipe(hs);
		return CRYPTO_ERR_CIPHER;
	}
	hs->state = CRYPTO_HS_DONE;
	return CRYPTO_OK;
}

int
crypto_hs_finish(struct crypto_hs *hs, const uint8_t in[CRYPTO_MSG2_LEN],
		 uint8_t payload[CRYPTO_HS_PAYLOAD_MAX], size_t *plen)
{
	uint8_t pl[PAYLOAD2_LEN], ver, cipher, accept;
	struct rd r;
	size_t n;
	int rc, op;

	if (hs->state != CRYPTO_HS_SENT1)
		return CRYPTO_ERR_STATE;
	rc = CRYPTO_ERR_MALFORMED;
	if (in[0] != CRYPTO_MSG_RESP)
		goto fail;
	rc = CRYPTO_ERR_MAC;
	if (noise_read(&hs->nz, in + 1, NOISE2_LEN, pl, sizeof(pl), &n) == -1)
		goto fail;
	rd_init(&r, pl, n);
	rc = CRYPTO_ERR_MALFORMED;
	if (rd_u8(&r, &ver) == -1 || ver != HS_VERSION || rd_u8(&r, &cipher) == -1 ||
	    rd_u8(&r, &accept) == -1)
		goto fail;
	accept &= CIPHER_ALL; /* as in parse_payload1 */
	op = get_opaque(&r, payload);
	if (op == -1)
		goto fail;
	/* The responder must pick from what we offered; a refusal names no cipher. */
	rc = CRYPTO_ERR_CIPHER;
	if (cipher == CIPHER_REJECT || cipher > CRYPTO_CIPHER_AEGIS256X4 ||
	    cipher == CRYPTO_CIPHER_AUTO || !(hs->offer & CIPHER_BIT(cipher)))
		goto fail;
	sodium_memzero(pl, sizeof(pl));
	hs->cipher = (enum crypto_cipher)cipher;
	hs->accept = accept;
	*plen = (size_t)op;
	hs->state = CRYPTO_HS_DONE;
	return CRYPTO_OK;
fail:
	sodium_memzero(pl, sizeof(pl));
	crypto_hs_wipe(hs);
	hs->state = CRYPTO_HS_FAILED;
	return rc;
}

enum crypto_cipher
crypto_hs_cipher(const struct crypto_hs *hs)
{
	return hs->cipher;
}

struct crypto_peer *
crypto_hs_peer(const struct crypto_hs *hs)
{
	return hs->peer;
}

void
crypto_hs_wipe(struct crypto_hs *hs)
{
	sodium_memzero(hs, sizeof(*hs));
}

/* ---- records ---- */

/*
 * A record state's key lives twice: as bytes in rec->key (the ratchet's input) and
 * expanded in rec->aead (src/aead.c, libcrypto or libsodium). A new key is always expanded
 * into a fresh struct aead first and adopted only once that worked, so a failure leaves the
 * state as it was.
 */

static enum aead_cipher
aead_cipher(enum crypto_cipher c)
{
	switch (c) {
	case CRYPTO_CIPHER_AES256GCM:
		return AEAD_AES256GCM;
	case CRYPTO_CIPHER_AEGIS256X4:
		return AEAD_AEGIS256X4;
	default:
		return AEAD_CHACHA20POLY1305;
	}
}

/* Replace rec's key by key, already expanded in next; next is left empty. */
static void
adopt(struct crypto_rec *rec, struct aead *next, const uint8_t key[CRYPTO_KEY_LEN])
{
	aead_wipe(&rec->aead);
	rec->aead = *next;
	sodium_memzero(next, sizeof(*next)); /* libsodium's expanded key, or a pointer */
	memcpy(rec->key, key, CRYPTO_KEY_LEN);
}

/* Set rec up for cipher under key (unused for NONE); whatever rec held is released. */
static int
rec_init(struct crypto_rec *rec, enum crypto_cipher cipher, const uint8_t key[CRYPTO_KEY_LEN])
{
	crypto_rec_wipe(rec);
	rec->cipher = cipher;
	rec->rekey_bytes = CRYPTO_REKEY_BYTES;
	rec->rekey_records = CRYPTO_REKEY_RECORDS;
	rec->rekey_ns = CRYPTO_REKEY_SECONDS * 1000000000ull;
	if (cipher == CRYPTO_CIPHER_NONE)
		return CRYPTO_OK;
	memcpy(rec->key, key, CRYPTO_KEY_LEN);
	if (aead_init(&rec->aead, aead_cipher(cipher), rec->key) == -1) {
		crypto_rec_wipe(rec);
		return CRYPTO_ERR_NOMEM;
	}
	return CRYPTO_OK;
}

int
crypto_hs_split(struct crypto_hs *hs, struct crypto_rec *tx, struct crypto_rec *rx)
{
	uint8_t k1[CRYPTO_KEY_LEN], k2[CRYPTO_KEY_LEN];
	int rc;

	if (hs->state != CRYPTO_HS_DONE || noise_split(&hs->nz, k1, k2) == -1) {
		crypto_hs_wipe(hs);
		return CRYPTO_ERR_STATE;
	}
	/* k1 carries initiator-to-responder traffic, k2 the other way. */
	rc = rec_init(tx, hs->cipher, hs->initiator ? k1 : k2);
	if (rc == CRYPTO_OK)
		rc = rec_init(rx, hs->cipher, hs->initiator ? k2 : k1);
	if (rc != CRYPTO_OK) {
		crypto_rec_wipe(tx);
		crypto_rec_wipe(rx);
	}
	sodium_memzero(k1, sizeof(k1));
	sodium_memzero(k2, sizeof(k2));
	crypto_hs_wipe(hs);
	return rc;
}

void
crypto_rec_set_rekey(struct crypto_rec *rec, uint64_t bytes, uint64_t records, uint64_t ns)
{
	rec->rekey_bytes = bytes ? bytes : CRYPTO_REKEY_BYTES;
	rec->rekey_records = records ? records : CRYPTO_REKEY_RECORDS;
	rec->rekey_ns = ns ? ns : CRYPTO_REKEY_SECONDS * 1000000000ull;
}

int
crypto_rec_copy(struct crypto_rec *dst, const struct crypto_rec *src)
{
	if (dst == src)
		return CRYPTO_ERR_STATE;
	crypto_rec_wipe(dst);
	memcpy(dst, src, sizeof(*dst));
	/* never share src's context: expand the key again */
	memset(&dst->aead, 0, sizeof(dst->aead));
	if (src->cipher != CRYPTO_CIPHER_NONE &&
	    aead_init(&dst->aead, aead_cipher(src->cipher), src->key) == -1) {
		crypto_rec_wipe(dst);
		return CRYPTO_ERR_NOMEM;
	}
	return CRYPTO_OK;
}

void
crypto_rec_wipe(struct crypto_rec *rec)
{
	aead_wipe(&rec->aead);
	sodium_memzero(rec, sizeof(*rec));
}

/* key' = BLAKE2b-256 keyed by key, of the label: one way, so old records stay sealed. */
static void
ratchet(uint8_t next[CRYPTO_KEY_LEN], const uint8_t key[CRYPTO_KEY_LEN])
{
	crypto_generichash(next, CRYPTO_KEY_LEN, (const uint8_t *)REKEY_LABEL, strlen(REKEY_LABEL),
			   key, CRYPTO_KEY_LEN);
}

static void
nonce_be(uint8_t nonce[NONCE_LEN], uint64_t n)
{
	int i;

	memset(nonce, 0, 4);
	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(n >> (56 - 8 * i));
}

static void
put_hdr(uint8_t *out, uint32_t hdr)
{
	out[0] = (uint8_t)(hdr >> 16);
	out[1] = (uint8_t)(hdr >> 8);
	out[2] = (uint8_t)hdr;
}

size_t
crypto_seal(struct crypto_rec *rec, uint64_t now_ns, const uint8_t *plain, size_t len, uint8_t *out)
{
	uint8_t nonce[NONCE_LEN], next_key[CRYPTO_KEY_LEN], *body = out + CRYPTO_RECORD_HDR;
	uint32_t hdr = (uint32_t)len;
	struct aead next, *a = &rec->aead;
	uint64_t counter = rec->counter;
	int rc;

	/* an empty state (AUTO: zeroed or wiped) has no key */
	if (len > CRYPTO_RECORD_MAX || rec->cipher == CRYPTO_CIPHER_AUTO)
		return 0;
	if (rec->cipher == CRYPTO_CIPHER_NONE) {
		put_hdr(out, hdr);
		if (plain != body)
			memmove(body, plain, len);
		rec->bytes += len;
		return CRYPTO_RECORD_HDR + len;
	}
	if (!rec->born) {
		rec->born = 1;
		rec->born_ns = now_ns;
	}
	/* Rekey before the limits; the counter is reset long before it could wrap. */
	if (rec->bytes >= rec->rekey_bytes || rec->counter >= rec->rekey_records ||
	    (now_ns > rec->born_ns && now_ns - rec->born_ns >= rec->rekey_ns)) {
		ratchet(next_key, rec->key);
		if (aead_init(&next, aead_cipher(rec->cipher), next_key) == -1) {
			sodium_memzero(next_key, sizeof(next_key));
			return 0;
		}
		a = &next;
		counter = 0;
		hdr |= CRYPTO_REC_FLAG_REKEY;
	}
	put_hdr(out, hdr);
	nonce_be(nonce, counter);
	rc = aead_seal(a, nonce, out, CRYPTO_RECORD_HDR, plain, len, body, body + len);
	if (a == &next) {
		if (rc == 0) {
			adopt(rec, &next, next_key);
			rec->counter = 0;
			rec->bytes = 0;
			rec->born_ns = now_ns;
			rec->rekeys++;
		} else
			aead_wipe(&next);
		sodium_memzero(next_key, sizeof(next_key));
	}
	if (rc != 0)
		return 0;
	rec->counter++;
	rec->bytes += len;
	return CRYPTO_RECORD_HDR + len + CRYPTO_RECORD_TAG;
}

int
crypto_record_len(const struct crypto_rec *rec, const uint8_t *hdr, size_t avail, size_t *total)
{
	struct rd r;
	uint8_t b[CRYPTO_RECORD_HDR];
	uint32_t v, len;

	rd_init(&r, hdr, avail);
	if (rd_bytes(&r, b, sizeof(b)) == -1)
		return CRYPTO_ERR_SHORT;
	v = (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];
	len = v & CRYPTO_REC_LEN_MASK;
	if (len > CRYPTO_RECORD_MAX)
		return CRYPTO_ERR_MALFORMED;
	if (rec->cipher == CRYPTO_CIPHER_NONE) {
		/* Nothing to rekey without keys. */
		if (v & CRYPTO_REC_FLAG_REKEY)
			return CRYPTO_ERR_MALFORMED;
		*total = CRYPTO_RECORD_HDR + len;
	} else
		*total = CRYPTO_RECORD_HDR + len + CRYPTO_RECORD_TAG;
	return CRYPTO_OK;
}

/* Verify and decrypt body (len bytes, tag after it) in place under a at counter. */
static int
open_with(struct aead *a, uint64_t counter, uint8_t *wire, size_t len)
{
	uint8_t nonce[NONCE_LEN], *body = wire + CRYPTO_RECORD_HDR;

	nonce_be(nonce, counter);
	return aead_open(a, nonce, wire, CRYPTO_RECORD_HDR, body, len, body + len);
}

int
crypto_open(struct crypto_rec *rec, uint8_t *wire, size_t total, uint8_t **plain, size_t *plen)
{
	struct aead next;
	uint8_t next_key[CRYPTO_KEY_LEN];
	size_t need, len;
	int rc;

	if (rec->cipher == CRYPTO_CIPHER_AUTO)
		return CRYPTO_ERR_STATE; /* an empty state: no key */
	rc = crypto_record_len(rec, wire, total, &need);
	if (rc != CRYPTO_OK)
		return rc == CRYPTO_ERR_SHORT ? CRYPTO_ERR_MALFORMED : rc;
	if (need != total)
		return CRYPTO_ERR_MALFORMED;
	len = (size_t)((uint32_t)wire[0] << 16 | (uint32_t)wire[1] << 8 | wire[2]) &
	      CRYPTO_REC_LEN_MASK;
	*plain = wire + CRYPTO_RECORD_HDR;
	*plen = len;
	if (rec->cipher == CRYPTO_CIPHER_NONE) {
		rec->bytes += len;
		return CRYPTO_OK;
	}
	if (!(wire[0] & (CRYPTO_REC_FLAG_REKEY >> 16))) {
		if (rec->counter == UINT64_MAX)
			return CRYPTO_ERR_LIMIT;
		if (open_with(&rec->aead, rec->counter, wire, len) != 0)
			return CRYPTO_ERR_MAC;
		rec->counter++;
		rec->bytes += len;
		return CRYPTO_OK;
	}
	/*
	 * The sender ratcheted: try the next key at counter 0 on a temporary state, and only
	 * when the record authenticates replace (and so forget) the current one.
	 */
	ratchet(next_key, rec->key);
	if (aead_init(&next, aead_cipher(rec->cipher), next_key) == -1) {
		sodium_memzero(next_key, sizeof(next_key));
		return CRYPTO_ERR_NOMEM;
	}
	rc = open_with(&next, 0, wire, len);
	if (rc == 0) {
		adopt(rec, &next, next_key);
		rec->counter = 1;
		rec->bytes = len;
		rec->rekeys++;
	} else
		aead_wipe(&next);
	sodium_memzero(next_key, sizeof(next_key));
	return rc == 0 ? CRYPTO_OK : CRYPTO_ERR_MAC;
}
