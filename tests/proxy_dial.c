/*
 * proxy-dial: dial ENDPOINT through a chain of hops with the proxy module, then copy
 * stdin to the connection and the connection to stdout (half-close passed on). A test tool
 * that checks proxy.c against real SOCKS5 and HTTP CONNECT servers; blocking sockets only.
 *
 * usage: proxy-dial [-t SECONDS] ENDPOINT [HOP...]   (HOP as in Via: tcp://, socks5://, http://)
 * Exit 0 when the stream ended, 1 with the proxy's error on stderr, 2 on usage.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "proxy.h"

static int
dial(const struct conf_hostport *hp)
{
	struct addrinfo hints, *res, *ai;
	char port[8];
	int fd = -1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%u", (unsigned)hp->port);
	if ((rc = getaddrinfo(hp->host, port, &hints, &res)) != 0) {
		fprintf(stderr, "proxy-dial: %s: %s\n", hp->host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM, 0);
		if (fd == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		fprintf(stderr, "proxy-dial: connect %s:%u: %s\n", hp->host, (unsigned)hp->port,
			strerror(errno));
	return fd;
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct conf_via via[CONF_MAX_VIA];
	struct conf_hostport end;
	static struct proxy_hop h;
	uint8_t buf[65536], out[PROXY_OUT_MAX];
	size_t have = 0, used;
	char err[256];
	int nvia, i, fd, timeout = 10, rc;

	log_init("proxy-dial", 0);
	if (argc > 2 && strcmp(argv[1], "-t") == 0) {
		timeout = atoi(argv[2]);
		argv += 2;
		argc -= 2;
	}
	if (argc < 2 || argc - 2 > CONF_MAX_VIA) {
		fprintf(stderr, "usage: proxy-dial [-t SECONDS] ENDPOINT [HOP...]\n");
		return 2;
	}
	if (proxy_parse_hostport(&end, argv[1], err, sizeof(err)) == -1) {
		fprintf(stderr, "proxy-dial: %s\n", err);
		return 2;
	}
	nvia = argc - 2;
	for (i = 0; i < nvia; i++) {
		if (proxy_parse_via(&via[i], argv[i + 2], err, sizeof(err)) == -1) {
			fprintf(stderr, "proxy-dial: %s\n", err);
			return 2;
		}
	}
	fd = dial(nvia > 0 ? &via[0].hp : &end);
	if (fd == -1)
		return 1;

	/* the chain: one hop after the other on the same connection */
	for (i = 0; i < nvia; i++) {
		rc = proxy_start(&h, &via[i], proxy_chain_target(via, nvia, i, &end));
		for (;;) {
			size_t n;
			struct pollfd p = {.fd = fd, .events = POLLIN};

			while ((n = proxy_output(&h, out, sizeof(out))) > 0)
				if (write_all(fd, out, n) == -1)
					goto broken;
			if (rc != PROXY_MORE)
				break;
			if (have == 0) {
				ssize_t k;

				if (poll(&p, 1, timeout * 1000) == 0) {
					rc = proxy_timeout(&h);
					break;
				}
				k = read(fd, buf, sizeof(buf));
				if (k <= 0) {
					rc = proxy_eof(&h);
					break;
				}
				have = (size_t)k;
			}
			rc = proxy_input(&h, buf, have, &used);
			/* what the proxy sent after its reply belongs to the next hop */
			memmove(buf, buf + used, have - used);
			have -= used;
		}
		if (rc != PROXY_DONE) {
			fprintf(stderr, "proxy-dial: %s\n", proxy_error(&h));
			return 1;
		}
		proxy_clear(&h);
	}
	if (have > 0 && write_all(STDOUT_FILENO, buf, have) == -1)
		return 1;

	/* the stream: stdin -> fd, fd -> stdout, until the connection ends */
	{
		struct pollfd p[2] = {{.fd = STDIN_FILENO, .events = POLLIN},
				      {.fd = fd, .events = POLLIN}};

		for (;;) {
			ssize_t k;

			if (poll(p, 2, -1) == -1 && errno != EINTR)
				return 1;
			if (p[0].revents != 0) {
				k = read(STDIN_FILENO, buf, sizeof(buf));
				if (k <= 0) {
					shutdown(fd, SHUT_WR);
					p[0].fd = -1;
				} else if (write_all(fd, buf, (size_t)k) == -1) {
					goto broken;
				}
			}
			if (p[1].revents != 0) {
				k = read(fd, buf, sizeof(buf));
				if (k <= 0)
					break;
				if (write_all(STDOUT_FILENO, buf, (size_t)k) == -1)
					return 1;
			}
		}
	}
	close(fd);
	return 0;
broken:
	fprintf(stderr, "proxy-dial: write: %s\n", strerror(errno));
	return 1;
}
