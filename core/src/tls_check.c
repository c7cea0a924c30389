/* Checks TLS material (PEM) before grpc gets it: grpc accepts anything when
 * the credentials are made and fails each handshake later, which reaches the
 * caller as UNAVAILABLE ("empty address list") with no word about TLS. Here
 * every item is parsed with the same OpenSSL grpc uses (Debian's libgrpc links
 * libssl3), in memory: the private key is never written anywhere, and no
 * message quotes any of the material. */

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "internal.h"

/* OpenSSL's reason for the first (innermost) error on this thread's queue,
 * then clears the queue (grpc reads the same thread-local queue). */
static const char *ssl_reason(void) {
  unsigned long e = ERR_peek_error();
  const char *r = e ? ERR_reason_error_string(e) : NULL;
  ERR_clear_error();
  return r ? r : "unreadable";
}

/* Whether the last error only says "no more PEM blocks" (the end of a bundle). */
static int at_end_of_pem(void) {
  unsigned long e = ERR_peek_last_error();
  return e && ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
}

/* Never asks for a passphrase: grpc cannot use an encrypted key. */
static int no_passphrase(char *buf, int size, int rwflag, void *u) {
  (void)buf, (void)size, (void)rwflag;
  *(int *)u = 1;
  return -1;
}

/* Parses every certificate of `pem`; *first gets the first one (caller frees)
 * when `first` is not NULL. */
static int read_certs(const char *pem, const char *what, X509 **first, tcore_error *err) {
  BIO *bio = BIO_new_mem_buf(pem, -1);
  if (!bio) return tcore_fail(err, TCORE_ERR_NOMEM, "out of memory");
  int n = 0, rc = TCORE_OK;
  for (;;) {
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    if (!x) {
      if (n > 0 && at_end_of_pem()) {
        ERR_clear_error();
      } else if (n == 0 && at_end_of_pem()) {
        ERR_clear_error();
        rc = tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT,
                        "TLS %s has no PEM certificate (no '-----BEGIN CERTIFICATE-----' block)",
                        what);
      } else {
        rc = tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT,
                        "TLS %s is not a valid PEM certificate: certificate %d does not decode "
                        "(OpenSSL: %s)", what, n + 1, ssl_reason());
      }
      break;
    }
    if (n++ == 0 && first)
      *first = x;
    else
      X509_free(x);
  }
  BIO_free(bio);
  if (rc != TCORE_OK && first && *first) {
    X509_free(*first);
    *first = NULL;
  }
  return rc;
}

int tcore_tls_check(const char *root_ca_pem, const char *client_cert_pem,
                    const char *client_key_pem, tcore_error *err) {
  ERR_clear_error();
  if (root_ca_pem) {
    int rc = read_certs(root_ca_pem, "server_root_ca_cert", NULL, err);
    if (rc != TCORE_OK) return rc;
  }
  if (!client_cert_pem && !client_key_pem) return TCORE_OK;
  if (!client_cert_pem || !client_key_pem)
    return tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT,
                      "TLS client_cert and client_private_key must be given together");
  X509 *cert = NULL;
  int rc = read_certs(client_cert_pem, "client_cert", &cert, err);
  if (rc != TCORE_OK) return rc;
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0) {
    X509_free(cert);
    return tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT,
                      "TLS client_cert has expired (its notAfter date has passed)");
  }
  BIO *bio = BIO_new_mem_buf(client_key_pem, -1);
  if (!bio) {
    X509_free(cert);
    return tcore_fail(err, TCORE_ERR_NOMEM, "out of memory");
  }
  int asked = 0;
  EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, &asked);
  BIO_free(bio);
  if (!key) {
    const char *why = ssl_reason();
    X509_free(cert);
    if (asked || strstr(client_key_pem, "ENCRYPTED"))
      return tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT,
                        "TLS client_private_key is encrypted: give it unencrypted (grpc "
                        "cannot ask for a passphrase)");
    return tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT,
                      "TLS client_private_key is not a valid PEM private key: it does not "
                      "decode (OpenSSL: %s)", why);
  }
  int match = X509_check_private_key(cert, key);
  ERR_clear_error();
  EVP_PKEY_free(key);
  X509_free(cert);
  if (match != 1)
    return tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT,
                      "TLS client_private_key does not match client_cert (the key of another "
                      "certificate?)");
  return TCORE_OK;
}
