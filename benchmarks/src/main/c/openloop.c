/*
 * openloop: a fixed-rate (open-loop) HTTP/1.1 load generator for latency below saturation.
 *
 * wrk is closed-loop: a connection sends its next request only when the previous answer
 * came, so a stall makes it send less and the stall hides in few samples (coordinated
 * omission). Here every request has an intended send time fixed in advance: connection i
 * of C sends its k-th request at start + (i + k * C) / rate, and its latency is measured
 * from that intended time, not from when it could actually be sent. A connection still
 * waiting for an answer when its next request is due sends it late, and that lateness is
 * counted in the latency.
 *
 * One thread per keep-alive connection, blocking sockets (plain or TLS through OpenSSL).
 * Latencies go into per-thread log-linear histograms (HdrHistogram's idea: 64 sub-buckets
 * per power of two, so any value is known within 1/64) merged at the end.
 *
 *   cc -O2 -pthread -o openloop openloop.c -lssl -lcrypto
 *   openloop [--tls] [--host NAME] -a 127.0.0.1 -p 8080 -P /small.html -r 2000 -c 20 -d 10 -w 2
 *
 * Prints one line: key=value pairs (rate_aimed, rate, requests, errors, p50_us, p90_us,
 * p99_us, p999_us, max_us), counting only requests intended after the warm-up.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SUB_BITS 6
#define SUB (1 << SUB_BITS)
#define BUCKETS (2 * SUB + 58 * SUB)

typedef struct {
    uint64_t counts[BUCKETS];
    uint64_t max;
    uint64_t total;
} histogram;

static int bucket_of(uint64_t v) {
    if (v < 2 * SUB) {
        return (int) v;
    }
    int e = 63 - __builtin_clzll(v); /* >= SUB_BITS + 1 */
    int shift = e - SUB_BITS;
    int mantissa = (int) (v >> shift); /* SUB .. 2*SUB-1 */
    return 2 * SUB + (e - SUB_BITS - 1) * SUB + (mantissa - SUB);
}

static uint64_t bucket_value(int b) { /* the middle of the bucket */
    if (b < 2 * SUB) {
        return (uint64_t) b;
    }
    int e = (b - 2 * SUB) / SUB + SUB_BITS + 1;
    int shift = e - SUB_BITS;
    uint64_t low = (uint64_t) (SUB + (b - 2 * SUB) % SUB) << shift;
    return low + ((1ULL << shift) >> 1);
}

static void record(histogram *h, uint64_t v) {
    h->counts[bucket_of(v)]++;
    h->total++;
    if (v > h->max) {
        h->max = v;
    }
}

static uint64_t percentile(const histogram *h, double p) {
    if (h->total == 0) {
        return 0;
    }
    uint64_t want = (uint64_t) (p / 100.0 * (double) h->total + 0.5);
    if (want < 1) {
        want = 1;
    }
    uint64_t seen = 0;
    for (int b = 0; b < BUCKETS; b++) {
        seen += h->counts[b];
        if (seen >= want) {
            uint64_t v = bucket_value(b);
            return v > h->max ? h->max : v;
        }
    }
    return h->max;
}

static struct {
    struct sockaddr_in addr;
    const char *host;
    const char *path;
    double rate;
    int connections;
    double seconds;
    double warmup;
    int tls;
    SSL_CTX *ctx;
    uint64_t start_ns;
} cfg;

typedef struct {
    int index;
    histogram h;
    uint64_t errors;
    uint64_t reconnects;
    uint64_t late; /* requests sent after their intended time because the previous answer was late */
} worker;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

static void sleep_until(uint64_t t) {
    struct timespec ts = {(time_t) (t / 1000000000ULL), (long) (t % 1000000000ULL)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

typedef struct {
    int fd;
    SSL *ssl;
    char buf[65536];
    size_t have; /* bytes in buf not yet consumed */
} conn;

static void conn_close(conn *c) {
    if (c->ssl) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    c->have = 0;
}

static int conn_open(conn *c) {
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0) {
        return -1;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = {10, 0}; /* an answer slower than 10 s counts as an error */
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(c->fd, (struct sockaddr *) &cfg.addr, sizeof cfg.addr) < 0) {
        conn_close(c);
        return -1;
    }
    if (cfg.tls) {
        c->ssl = SSL_new(cfg.ctx);
        SSL_set_fd(c->ssl, c->fd);
        SSL_set_tlsext_host_name(c->ssl, cfg.host);
        if (SSL_connect(c->ssl) != 1) {
            conn_close(c);
            return -1;
        }
    }
    return 0;
}

static ssize_t conn_read(conn *c, char *p, size_t n) {
    if (c->ssl) {
        int r = SSL_read(c->ssl, p, (int) n);
        return r > 0 ? r : -1;
    }
    ssize_t r = read(c->fd, p, n);
    return r > 0 ? r : -1;
}

static int conn_write(conn *c, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = c->ssl ? SSL_write(c->ssl, p, (int) n) : write(c->fd, p, n);
        if (w <= 0) {
            return -1;
        }
        p += w;
        n -= (size_t) w;
    }
    return 0;
}

/* Reads one whole response (status line, headers, Content-Length body); 0 if status 2xx. */
static int read_response(conn *c, int *close_after) {
    char *end;
    for (;;) {
        c->buf[c->have] = 0;
        end = strstr(c->buf, "\r\n\r\n");
        if (end) {
            break;
        }
        if (c->have >= sizeof c->buf - 1) {
            return -1;
        }
        ssize_t r = conn_read(c, c->buf + c->have, sizeof c->buf - 1 - c->have);
        if (r < 0) {
            return -1;
        }
        c->have += (size_t) r;
    }
    size_t head = (size_t) (end - c->buf) + 4;
    int status = 0;
    if (sscanf(c->buf, "HTTP/1.%*d %d", &status) != 1) {
        return -1;
    }
    long length = -1;
    *close_after = 0;
    for (char *line = strstr(c->buf, "\r\n") + 2; line < end; line = strstr(line, "\r\n") + 2) {
        if (strncasecmp(line, "content-length:", 15) == 0) {
            length = strtol(line + 15, NULL, 10);
        } else if (strncasecmp(line, "connection:", 11) == 0 && strncasecmp(line + 11 + strspn(line + 11, " "), "close", 5) == 0) {
            *close_after = 1;
        }
    }
    if (length < 0) {
        return -1; /* the benchmark's backends always send a length */
    }
    size_t body_have = c->have - head;
    while (body_have < (size_t) length) { /* skip the body, keeping nothing beyond it */
        ssize_t r = conn_read(c, c->buf, sizeof c->buf - 1);
        if (r < 0) {
            return -1;
        }
        body_have += (size_t) r;
        head = 0;
        c->have = (size_t) r;
    }
    size_t extra = body_have - (size_t) length; /* bytes of a next response: none expected */
    memmove(c->buf, c->buf + c->have - extra, extra);
    c->have = extra;
    return status >= 200 && status < 300 ? 0 : -1;
}

static void *run(void *arg) {
    worker *w = arg;
    conn c = {.fd = -1};
    char request[1024];
    int n = snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: openloop\r\n\r\n", cfg.path, cfg.host);
    uint64_t end = cfg.start_ns + (uint64_t) ((cfg.warmup + cfg.seconds) * 1e9);
    uint64_t measure_from = cfg.start_ns + (uint64_t) (cfg.warmup * 1e9);
    for (uint64_t k = 0;; k++) {
        uint64_t intended = cfg.start_ns + (uint64_t) ((w->index + (double) k * cfg.connections) * 1e9 / cfg.rate);
        if (intended >= end) {
            break;
        }
        uint64_t t = now_ns();
        if (t < intended) {
            sleep_until(intended);
        } else if (t - intended > 1000000) {
            w->late++;
        }
        int close_after = 0;
        int ok = -1;
        for (int attempt = 0; attempt < 2 && ok != 0; attempt++) { /* one reconnect if the server had closed */
            if (c.fd < 0) {
                if (conn_open(&c) < 0) {
                    break;
                }
                if (attempt > 0 || k > 0) {
                    w->reconnects++;
                }
            }
            ok = conn_write(&c, request, (size_t) n) == 0 ? read_response(&c, &close_after) : -1;
            if (ok != 0) {
                conn_close(&c);
            }
        }
        uint64_t done = now_ns();
        if (intended >= measure_from) {
            if (ok == 0) {
                record(&w->h, (done - intended) / 1000); /* microseconds since the intended send */
            } else {
                w->errors++;
            }
        }
        if (ok == 0 && close_after) {
            conn_close(&c);
        }
    }
    conn_close(&c);
    return NULL;
}

static void usage(void) {
    fprintf(stderr, "usage: openloop [--tls] [--host NAME] -a IPV4 -p PORT [-P PATH] -r RATE [-c CONNECTIONS] [-d SECONDS] [-w WARMUP]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *address = "127.0.0.1";
    int port = 0;
    cfg.host = NULL;
    cfg.path = "/";
    cfg.rate = 0;
    cfg.connections = 10;
    cfg.seconds = 10;
    cfg.warmup = 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--tls") == 0) {
            cfg.tls = 1;
            continue;
        }
        if (!v) {
            usage();
        }
        i++;
        if (strcmp(a, "-a") == 0) address = v;
        else if (strcmp(a, "-p") == 0) port = atoi(v);
        else if (strcmp(a, "-P") == 0) cfg.path = v;
        else if (strcmp(a, "--host") == 0) cfg.host = v;
        else if (strcmp(a, "-r") == 0) cfg.rate = atof(v);
        else if (strcmp(a, "-c") == 0) cfg.connections = atoi(v);
        else if (strcmp(a, "-d") == 0) cfg.seconds = atof(v);
        else if (strcmp(a, "-w") == 0) cfg.warmup = atof(v);
        else usage();
    }
    if (port <= 0 || cfg.rate <= 0 || cfg.connections <= 0 || cfg.seconds <= 0) {
        usage();
    }
    if (!cfg.host) {
        cfg.host = "localhost";
    }
    cfg.addr.sin_family = AF_INET;
    cfg.addr.sin_port = htons((uint16_t) port);
    if (inet_pton(AF_INET, address, &cfg.addr.sin_addr) != 1) {
        fprintf(stderr, "openloop: not an IPv4 address: %s\n", address);
        return 2;
    }
    if (cfg.tls) {
        cfg.ctx = SSL_CTX_new(TLS_client_method());
        SSL_CTX_set_verify(cfg.ctx, SSL_VERIFY_NONE, NULL); /* a benchmark against local test certificates */
    }
    worker *workers = calloc((size_t) cfg.connections, sizeof *workers);
    pthread_t *threads = calloc((size_t) cfg.connections, sizeof *threads);
    cfg.start_ns = now_ns() + 50000000ULL; /* 50 ms for the threads to start */
    for (int i = 0; i < cfg.connections; i++) {
        workers[i].index = i;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 256 * 1024);
        if (pthread_create(&threads[i], &attr, run, &workers[i]) != 0) {
            fprintf(stderr, "openloop: cannot start thread %d\n", i);
            return 1;
        }
    }
    histogram *all = calloc(1, sizeof *all);
    uint64_t errors = 0, reconnects = 0, late = 0;
    for (int i = 0; i < cfg.connections; i++) {
        pthread_join(threads[i], NULL);
        for (int b = 0; b < BUCKETS; b++) {
            all->counts[b] += workers[i].h.counts[b];
        }
        all->total += workers[i].h.total;
        if (workers[i].h.max > all->max) {
            all->max = workers[i].h.max;
        }
        errors += workers[i].errors;
        reconnects += workers[i].reconnects;
        late += workers[i].late;
    }
    printf("rate_aimed=%.0f rate=%.0f requests=%llu errors=%llu reconnects=%llu late_sends=%llu "
           "p50_us=%llu p90_us=%llu p99_us=%llu p999_us=%llu max_us=%llu\n",
           cfg.rate, (double) all->total / cfg.seconds, (unsigned long long) all->total, (unsigned long long) errors,
           (unsigned long long) reconnects, (unsigned long long) late,
           (unsigned long long) percentile(all, 50), (unsigned long long) percentile(all, 90),
           (unsigned long long) percentile(all, 99), (unsigned long long) percentile(all, 99.9),
           (unsigned long long) all->max);
    return errors > 0 && all->total == 0 ? 1 : 0;
}
