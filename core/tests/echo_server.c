/* echo_server.c: a loopback gRPC server for tests (not part of the core).
 *
 *   echo_server [--cert CERT.pem --key KEY.pem [--client-ca CA.pem]]
 *
 * Listens on 127.0.0.1 on a free port and prints "PORT <n>". For every unary
 * call it prints one line, "CALL <method>" followed by a tab-separated
 * "key=value" for each header received (values of "-bin" keys in hex), and
 * answers with an empty message and status OK, or with the status named by
 * an "x-status" header (then with a trailer "x-echo-trailer: error"). The line ends with "x-echo-compression=N", the
 * grpc_compression_algorithm the request message arrived with (0 none,
 * 2 gzip): the server leaves messages compressed. With --cert/--key it serves TLS; with --client-ca it
 * also requires and verifies a client certificate (mTLS). Runs until killed
 * or until stdin closes.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    exit(2);
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) exit(2);
  buf[n] = 0;
  fclose(f);
  return buf;
}

static void print_slice(grpc_slice s, int hex) {
  const unsigned char *p = GRPC_SLICE_START_PTR(s);
  for (size_t i = 0; i < GRPC_SLICE_LENGTH(s); i++) {
    if (hex) printf("%02x", p[i]);
    else putchar(p[i] == '\t' || p[i] == '\n' ? ' ' : p[i]);
  }
}

static void *watch_stdin(void *arg) {
  (void)arg;
  char buf[64];
  while (read(0, buf, sizeof buf) > 0) {
  }
  exit(0);
  return NULL;
}

static void wait_tag(grpc_completion_queue *cq, void *tag) {
  for (;;) {
    grpc_event ev = grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    if (ev.type == GRPC_OP_COMPLETE && ev.tag == tag) return;
  }
}

int main(int argc, char **argv) {
  const char *cert = NULL, *key = NULL, *client_ca = NULL;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--cert") == 0) cert = argv[i + 1];
    else if (strcmp(argv[i], "--key") == 0) key = argv[i + 1];
    else if (strcmp(argv[i], "--client-ca") == 0) client_ca = argv[i + 1];
  }
  grpc_init();
  grpc_arg keep_compressed = {GRPC_ARG_INTEGER, (char *)GRPC_ARG_ENABLE_PER_MESSAGE_DECOMPRESSION,
                               {.integer = 0}};
  grpc_channel_args sargs = {1, &keep_compressed};
  grpc_server *server = grpc_server_create(&sargs, NULL);
  grpc_completion_queue *cq = grpc_completion_queue_create_for_next(NULL);
  grpc_server_register_completion_queue(server, cq, NULL);
  grpc_server_credentials *creds;
  if (cert && key) {
    grpc_ssl_pem_key_cert_pair pair = {read_file(key), read_file(cert)};
    creds = grpc_ssl_server_credentials_create_ex(
        client_ca ? read_file(client_ca) : NULL, &pair, 1,
        client_ca ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                  : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE,
        NULL);
  } else {
    creds = grpc_insecure_server_credentials_create();
  }
  int port = grpc_server_add_http2_port(server, "127.0.0.1:0", creds);
  grpc_server_credentials_release(creds);
  if (port <= 0) {
    fprintf(stderr, "cannot listen\n");
    return 2;
  }
  grpc_server_start(server);
  printf("PORT %d\n", port);
  fflush(stdout);
  pthread_t t;
  pthread_create(&t, NULL, watch_stdin, NULL);

  for (;;) {
    grpc_call *call = NULL;
    grpc_call_details details;
    grpc_metadata_array md;
    grpc_call_details_init(&details);
    grpc_metadata_array_init(&md);
    int new_call;
    grpc_server_request_call(server, &call, &details, &md, cq, cq, &new_call);
    wait_tag(cq, &new_call);
    int status = 0;
    printf("CALL ");
    print_slice(details.method, 0);
    for (size_t i = 0; i < md.count; i++) {
      grpc_slice k = md.metadata[i].key;
      size_t kl = GRPC_SLICE_LENGTH(k);
      int bin = kl > 4 && memcmp(GRPC_SLICE_START_PTR(k) + kl - 4, "-bin", 4) == 0;
      putchar('\t');
      print_slice(k, 0);
      putchar('=');
      print_slice(md.metadata[i].value, bin);
      if (grpc_slice_str_cmp(k, "x-status") == 0) {
        char *v = grpc_slice_to_c_string(md.metadata[i].value);
        status = atoi(v);
        gpr_free(v);
      }
    }

    grpc_byte_buffer *recv = NULL, *send = NULL;
    int cancelled = 0;
    grpc_slice empty = grpc_empty_slice();
    send = grpc_raw_byte_buffer_create(&empty, 1);
    grpc_op ops[5];
    memset(ops, 0, sizeof ops);
    size_t n = 0;
    ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[n].op = GRPC_OP_RECV_MESSAGE;
    ops[n++].data.recv_message.recv_message = &recv;
    if (status == 0) {
      ops[n].op = GRPC_OP_SEND_MESSAGE;
      ops[n++].data.send_message.send_message = send;
    }
    grpc_slice msg = grpc_slice_from_static_string("echo_server status");
    /* An error carries a trailer of its own, as real servers' errors do
     * (status details): the client then has trailing metadata to free. */
    grpc_metadata trailer;
    memset(&trailer, 0, sizeof trailer);
    trailer.key = grpc_slice_from_static_string("x-echo-trailer");
    trailer.value = grpc_slice_from_static_string("error");
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    if (status != 0) {
      ops[n].data.send_status_from_server.trailing_metadata_count = 1;
      ops[n].data.send_status_from_server.trailing_metadata = &trailer;
    }
    ops[n].data.send_status_from_server.status = (grpc_status_code)status;
    ops[n++].data.send_status_from_server.status_details = &msg;
    ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    ops[n++].data.recv_close_on_server.cancelled = &cancelled;
    int done;
    grpc_call_start_batch(call, ops, n, &done, NULL);
    wait_tag(cq, &done);
    printf("\tx-echo-compression=%d\n", recv ? (int)recv->data.raw.compression : -1);
    fflush(stdout);
    if (recv) grpc_byte_buffer_destroy(recv);
    grpc_byte_buffer_destroy(send);
    grpc_call_unref(call);
    grpc_call_details_destroy(&details);
    grpc_metadata_array_destroy(&md);
  }
}
