/*
 * crypto: mptun's security core. Keys, the per-connection handshake and the record layer.
 *
 * Pure: no fds, no libev, no clock reads (time comes in as nanoseconds). Every state is a
 * fixed-size struct the caller embeds; every secret is wiped by the matching *_wipe
 * function and every temporary before return. The one allocation is a record state's
 * cipher context, when the cipher backend keeps one (src/aead.h): one per key, made by
 * crypto_hs_split and at each rekey, freed by crypto_rec_wipe; never one per record.
 * doc/security.md explains the design; this header is the contract.
 *
 * A connection runs, after its relays:
 *
 *   initiator                                responder
 *   crypto_hs_initiate  -- msg1 (CRYPTO_MSG1_LEN) -->  crypto_hs_respond
 *                       <-- msg2 (CRYPTO_MSG2_LEN) --  crypto_hs_reply
 *   crypto_hs_finish
 *   crypto_hs_split (tx, rx)                     crypto_hs_split (tx, rx)
 *
 * then records both ways: crypto_seal on one side; crypto_record_len and crypto_open on the
 * other. Any error return on a connection means: close that connection, silently toward
 * an unauthenticated peer; the error code says why, for drop counters.
 */
#ifndef MPTUN_CRYPTO_H
#define MPTUN_CRYPTO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sodium.h>

#include "aead.h"
#include "noise.h"

#define CRYPTO_KEY_LEN	   32 /* X25519 private/public keys, pre-shared keys */
#define CRYPTO_KEY_B64_LEN 44 /* base64 of a key, without the NUL */

/* Handshake messages: fixed sizes, the first byte is the message type. */
#define CRYPTO_MSG1_LEN	      156
#define CRYPTO_MSG2_LEN	      85
#define CRYPTO_MSG_INIT_KEYS  0x01 /* msg1, static-key mode (Noise IKpsk2) */
#define CRYPTO_MSG_INIT_PSK   0x02 /* msg1, pre-shared-key mode (Noise NNpsk0) */
#define CRYPTO_MSG_RESP	      0x03 /* msg2, both modes */
#define CRYPTO_HS_PAYLOAD_MAX 32   /* opaque caller bytes carried each way */

/*
 * Records: a 3-byte big-endian header, then the body, then (when sealed) a 16-byte tag.
 * Header bit 23 (CRYPTO_REC_FLAG_REKEY) says the sender ratcheted its key before this
 * record; bits 22..0 are the body length, at most CRYPTO_RECORD_MAX. The header is the
 * associated data; the nonce is implicit (a per-direction counter, reset at each rekey).
 */
#define CRYPTO_RECORD_HDR      3
#define CRYPTO_RECORD_TAG      16
#define CRYPTO_RECORD_OVERHEAD (CRYPTO_RECORD_HDR + CRYPTO_RECORD_TAG)
#define CRYPTO_RECORD_MAX      67584 /* 66 KiB: one 65535-byte packet plus framing */
#define CRYPTO_REC_FLAG_REKEY  0x800000u
#define CRYPTO_REC_LEN_MASK    0x7fffffu

/* Rekey policy of the sending side (defaults; crypto_rec_set_rekey overrides). */
#define CRYPTO_REKEY_BYTES   (1ull << 30) /* 1 GiB of plaintext under one key */
#define CRYPTO_REKEY_SECONDS 120	  /* or two minutes of use */
#define CRYPTO_REKEY_RECORDS (1ull << 32) /* or 2^32 records, whichever first */

/* Replay protection of msg1: timestamps remembered per peer (see struct crypto_peer). */
#define CRYPTO_REPLAY_SLOTS	64
#define CRYPTO_REPLAY_WINDOW_NS (120ull * 1000000000ull) /* accept this far behind the newest */

/* Results. Negative values are errors; the caller counts drops by these reasons. */
enum crypto_err {
	CRYPTO_OK = 0,
	CRYPTO_ERR_SHORT = -1,	      /* need more bytes (crypto_record_len only) */
	CRYPTO_ERR_MALFORMED = -2,    /* bad type, length, version or padding */
	CRYPTO_ERR_MAC = -3,	      /* authentication failed: wrong key, tampered, foreign */
	CRYPTO_ERR_UNKNOWN_PEER = -4, /* authenticated, but not a key we accept */
	CRYPTO_ERR_REPLAY = -5,	      /* msg1 seen before, or too old */
	CRYPTO_ERR_CIPHER = -6,	      /* no cipher both sides accept */
	CRYPTO_ERR_MODE = -7,	      /* the peer runs the other mode (keys vs pre-shared key) */
	CRYPTO_ERR_STATE = -8,	      /* call out of order, or bad argument (a caller bug) */
	CRYPTO_ERR_LIMIT = -9,	      /* nonce counter exhausted */
	CRYPTO_ERR_KEY = -10,	      /* invalid key (low-order point, unusable configuration) */
	CRYPTO_ERR_NOMEM = -11,	      /* no memory for a cipher context */
};

/* The same values and order as enum conf_cipher in conf.h. */
enum crypto_cipher {
	CRYPTO_CIPHER_AUTO,
	CRYPTO_CIPHER_CHACHA20POLY1305,
	CRYPTO_CIPHER_AES256GCM,
	CRYPTO_CIPHER_NONE,
	CRYPTO_CIPHER_AEGIS256X4, /* the last */
};

enum crypto_mode {
	CRYPTO_MODE_KEYS, /* static X25519 keys pinned both ways, optional pre-shared key */
	CRYPTO_MODE_PSK,  /* pre-shared key only */
};

/* Who we are: built once from the configuration. */
struct crypto_id {
	enum crypto_mode mode;
	enum crypto_cipher cipher; /* configured preference */
	uint8_t accept;		   /* ciphers we accept (bit per cipher), from cipher + CPU */
	uint8_t priv[CRYPTO_KEY_LEN];
	uint8_t pub[CRYPTO_KEY_LEN];
	uint8_t psk[CRYPTO_KEY_LEN];	  /* all zero when none is configured (keys mode) */
	uint8_t mac1_key[CRYPTO_KEY_LEN]; /* checks msg1 addressed to us before any DH */
};

/*
 * One remote peer: its pinned key and its replay state. The caller keeps one per peer for
 * the life of the process and passes the same one to every connection with that peer.
 */
struct crypto_peer {
	uint8_t pub[CRYPTO_KEY_LEN];	       /* keys mode: the peer's static public key */
	uint8_t psk[CRYPTO_KEY_LEN];	       /* keys mode: this peer's pre-shared key, */
	int has_psk;			       /* instead of crypto_id's */
	uint64_t tx_ts;			       /* greatest timestamp we sent in a msg1 to it */
	uint64_t rx_max;		       /* greatest msg1 timestamp accepted from it */
	uint64_t rx_floor;		       /* every timestamp <= this is refused */
	uint64_t rx_seen[CRYPTO_REPLAY_SLOTS]; /* accepted timestamps above the floor; 0 free */
};

enum crypto_hs_state {
	CRYPTO_HS_IDLE,
	CRYPTO_HS_SENT1,  /* initiator: msg1 sent, waiting for msg2 */
	CRYPTO_HS_GOT1,	  /* responder: msg1 accepted, crypto_hs_reply next */
	CRYPTO_HS_REJECT, /* responder: msg1 accepted but no common cipher */
	CRYPTO_HS_DONE,	  /* crypto_hs_split next */
	CRYPTO_HS_FAILED,
};

/* Handshake state, embedded in the connection; wiped by split or crypto_hs_wipe. */
struct crypto_hs {
	enum crypto_hs_state state;
	enum crypto_mode mode;
	int initiator;
	uint8_t offer;		   /* initiator's cipher set */
	uint8_t accept;		   /* responder's cipher set */
	enum crypto_cipher cipher; /* agreed (after respond / finish) */
	struct crypto_peer *peer;  /* the authenticated peer */
	struct noise_hs nz;
};

/*
 * One direction of a connection's record stream. Once set up it owns a cipher context:
 * never copy it with = or memcpy (crypto_rec_copy makes an independent copy), release it
 * with crypto_rec_wipe. Zeroed memory is an empty state, safe to wipe or to set up.
 */
struct crypto_rec {
	struct aead aead;	   /* the current key, expanded; first for alignment */
	enum crypto_cipher cipher; /* CHACHA20POLY1305, AES256GCM or NONE */
	uint8_t key[CRYPTO_KEY_LEN];
	uint64_t counter; /* nonce of the next record under the current key */
	uint64_t bytes;	  /* plaintext bytes under the current key */
	uint64_t born_ns; /* when the current key was first used to seal */
	int born;	  /* born_ns is set */
	uint64_t rekeys;  /* ratchets so far */
	uint64_t rekey_bytes, rekey_records, rekey_ns; /* sender policy */
};

/*
 * sodium_init, and a check that the record cipher library keys both ciphers; call once at
 * start (the commands below call it themselves). -1 on failure.
 */
int crypto_init(void);
/* Name of an error, for logs and counters. */
const char *crypto_strerror(int err);
const char *crypto_cipher_name(enum crypto_cipher c);

/* Keys, as wg(8) writes them: base64 of 32 bytes. */
int crypto_key_from_base64(uint8_t out[CRYPTO_KEY_LEN], const char *s); /* 0 or -1 */
void crypto_key_to_base64(char out[CRYPTO_KEY_B64_LEN + 1], const uint8_t k[CRYPTO_KEY_LEN]);
void crypto_pubkey(uint8_t pub[CRYPTO_KEY_LEN], const uint8_t priv[CRYPTO_KEY_LEN]);
void crypto_genkey(uint8_t priv[CRYPTO_KEY_LEN]);
/* `mptun genkey`: print a new private key on stdout. Returns the exit status. */
int crypto_cmd_genkey(void);
/* `mptun pubkey`: read a private key from in, print its public key. Exit status. */
int crypto_cmd_pubkey(FILE *in);

/* Can this CPU run c? AES-256-GCM needs AES-NI and PCLMUL, AEGIS-256X4 VAES and AVX-512. */
int crypto_cipher_usable(enum crypto_cipher c);

/*
 * Build our identity. priv != NULL: keys mode (psk optional); priv == NULL: pre-shared-key
 * mode (psk required, not all zero). CRYPTO_ERR_CIPHER when cipher is aes256gcm or
 * aegis256x4 and this CPU cannot run it; CRYPTO_ERR_KEY for an unusable key set.
 */
int crypto_id_init(struct crypto_id *id, const uint8_t *priv, const uint8_t *psk,
		   enum crypto_cipher cipher);
void crypto_id_wipe(struct crypto_id *id);
/* A peer: pub is its static key (keys mode) or NULL (pre-shared-key mode). */
void crypto_peer_init(struct crypto_peer *peer, const uint8_t *pub);
/* Keys mode: mix psk (not NULL) into handshakes with this peer instead of crypto_id's. */
void crypto_peer_set_psk(struct crypto_peer *peer, const uint8_t *psk);
/* Wipe a peer's keys and replay state. */
void crypto_peer_wipe(struct crypto_peer *peer);

/*
 * The responder's peer table, asked with the initiator's static key once msg1 is
 * authenticated (keys mode), or with NULL (pre-shared-key mode: the one peer). NULL: not a
 * key we accept.
 */
typedef struct crypto_peer *(*crypto_find_peer)(void *arg, const uint8_t *pub);

/*
 * Initiator: write msg1 to the peer, carrying plen <= CRYPTO_HS_PAYLOAD_MAX opaque bytes.
 * now_ns is wall-clock time (CLOCK_REALTIME), so timestamps keep growing across restarts;
 * peer->tx_ts keeps them strictly increasing within a process.
 */
int crypto_hs_initiate(struct crypto_hs *hs, const struct crypto_id *id, struct crypto_peer *peer,
		       uint64_t now_ns, const uint8_t *payload, size_t plen,
		       uint8_t out[CRYPTO_MSG1_LEN]);
/*
 * Responder: check msg1. Keys mode: the initiator must hold one of the npeers keys; pre-
 * shared-key mode: npeers must be 1. On CRYPTO_OK the initiator's opaque bytes are in
 * payload (*plen of them), the peer and cipher are known, and crypto_hs_reply is next. On
 * CRYPTO_ERR_CIPHER the initiator is authenticated but shares no cipher: crypto_hs_reply
 * then writes a msg2 that tells it so, which the caller may send before closing. On any
 * other error send nothing and close.
 */
int crypto_hs_respond(struct crypto_hs *hs, const struct crypto_id *id, struct crypto_peer *peers,
		      size_t npeers, const uint8_t in[CRYPTO_MSG1_LEN],
		      uint8_t payload[CRYPTO_HS_PAYLOAD_MAX], size_t *plen);
/* The same, with the peers found by find (any number of them, e.g. a hash table). */
int crypto_hs_respond_find(struct crypto_hs *hs, const struct crypto_id *id,
			   crypto_find_peer find, void *arg, const uint8_t in[CRYPTO_MSG1_LEN],
			   uint8_t payload[CRYPTO_HS_PAYLOAD_MAX], size_t *plen);
/* Responder: write msg2 with plen <= CRYPTO_HS_PAYLOAD_MAX opaque bytes. */
int crypto_hs_reply(struct crypto_hs *hs, const uint8_t *payload, size_t plen,
		    uint8_t out[CRYPTO_MSG2_LEN]);
/* Initiator: check msg2; the responder's opaque bytes go to payload. */
int crypto_hs_finish(struct crypto_hs *hs, const uint8_t in[CRYPTO_MSG2_LEN],
		     uint8_t payload[CRYPTO_HS_PAYLOAD_MAX], size_t *plen);
/* After respond/finish: the agreed cipher and the authenticated peer. */
enum crypto_cipher crypto_hs_cipher(const struct crypto_hs *hs);
struct crypto_peer *crypto_hs_peer(const struct crypto_hs *hs);
/*
 * Both sides, after reply/finish: derive the two record states and wipe hs. tx and rx must
 * be empty (zeroed) or hold earlier states, which are released first. On an error other
 * than CRYPTO_ERR_STATE both are left empty.
 */
int crypto_hs_split(struct crypto_hs *hs, struct crypto_rec *tx, struct crypto_rec *rx);
void crypto_hs_wipe(struct crypto_hs *hs);

/*
 * Seal len <= CRYPTO_RECORD_MAX bytes into out, which has room for len +
 * CRYPTO_RECORD_OVERHEAD. plain may be out + CRYPTO_RECORD_HDR (in place) or must not
 * overlap out. now_ns is any steady clock (CLOCK_MONOTONIC). Returns the wire length, or 0
 * when len is too large or rec is empty (caller bugs), or the cipher library failed (no
 * memory for the next key at a rekey); rec is then unchanged. Rekeys by itself when the
 * policy says so.
 */
size_t crypto_seal(struct crypto_rec *rec, uint64_t now_ns, const uint8_t *plain, size_t len,
		   uint8_t *out);
/*
 * From the first avail bytes of a record, the wire length of the whole record in *total.
 * CRYPTO_ERR_SHORT while avail < CRYPTO_RECORD_HDR; CRYPTO_ERR_MALFORMED for a bad header.
 */
int crypto_record_len(const struct crypto_rec *rec, const uint8_t *hdr, size_t avail,
		      size_t *total);
/*
 * Open the record of total wire bytes in place; on CRYPTO_OK *plain points into wire at
 * *plen bytes of plaintext. Any error is fatal to the connection.
 */
int crypto_open(struct crypto_rec *rec, uint8_t *wire, size_t total, uint8_t **plain, size_t *plen);
/* Override the sending policy (tests, tuning); 0 keeps a value's default. */
void crypto_rec_set_rekey(struct crypto_rec *rec, uint64_t bytes, uint64_t records, uint64_t ns);
/*
 * Make dst an independent copy of src, with its own cipher context (tests, fuzzing). dst
 * must be empty or hold a state, which is released first. CRYPTO_OK or CRYPTO_ERR_NOMEM
 * (dst then empty).
 */
int crypto_rec_copy(struct crypto_rec *dst, const struct crypto_rec *src);
/* Free the cipher context and wipe every key; rec is then empty (all zero). */
void crypto_rec_wipe(struct crypto_rec *rec);

#endif
