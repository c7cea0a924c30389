/* test_tls.c: TLS material is checked when a client is made, with messages
 * naming the item and the reason and never quoting the material (the
 * certificates and keys are made here with OpenSSL, nothing on disk); an API
 * key a header cannot carry is refused when it is set. */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <string.h>

#include "check.h"
#include "client.h"
#include "temporal_core.h"

static tcore_runtime *rt;

static EVP_PKEY *new_key(void) { return EVP_EC_gen("P-256"); }

/* A certificate for `key`, signed by `signer` (self-signed when NULL);
 * valid from now + `from_s` for `days`. PEM, malloc'd. */
static char *cert_pem(EVP_PKEY *key, EVP_PKEY *signer, long from_s, long days) {
  X509 *x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), from_s);
  X509_gmtime_adj(X509_getm_notAfter(x), from_s + days * 86400);
  X509_NAME *name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"test", -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509_set_pubkey(x, key);
  X509_sign(x, signer ? signer : key, EVP_sha256());
  BIO *b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, x);
  char *data;
  long n = BIO_get_mem_data(b, &data);
  char *out = malloc((size_t)n + 1);
  memcpy(out, data, (size_t)n);
  out[n] = 0;
  BIO_free(b);
  X509_free(x);
  return out;
}

static char *key_pem(EVP_PKEY *key, const char *passphrase) {
  BIO *b = BIO_new(BIO_s_mem());
  if (passphrase)
    PEM_write_bio_PrivateKey(b, key, EVP_aes_128_cbc(), (const unsigned char *)passphrase,
                             (int)strlen(passphrase), NULL, NULL);
  else
    PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL);
  char *data;
  long n = BIO_get_mem_data(b, &data);
  char *out = malloc((size_t)n + 1);
  memcpy(out, data, (size_t)n);
  out[n] = 0;
  BIO_free(b);
  return out;
}

/* tcore_client_new with TLS material: the code, the message in err. */
static int make(const char *ca, const char *cert, const char *key, tcore_error *err) {
  tcore_client_options *o;
  tcore_client *c = NULL;
  memset(err, 0, sizeof *err);
  if (tcore_client_options_new(&o) != TCORE_OK) return -1;
  tcore_client_options_set_target(o, "127.0.0.1:1");
  int rc = tcore_client_options_set_tls(o, ca, cert, key, NULL);
  if (rc == TCORE_OK) rc = tcore_client_new(rt, o, &c, err);
  if (c) tcore_client_free(c);
  tcore_client_options_free(o);
  return rc;
}

static int says(const tcore_error *err, const char *a, const char *b) {
  int ok = strstr(err->message, a) && (!b || strstr(err->message, b));
  if (!ok) fprintf(stderr, "  message: %s\n", err->message);
  return ok;
}

static void test_tls_material_is_checked_with_a_message_naming_the_item(void) {
  EVP_PKEY *ca_key = new_key(), *leaf_key = new_key(), *other_key = new_key();
  char *ca = cert_pem(ca_key, NULL, 0, 2);
  char *leaf = cert_pem(leaf_key, ca_key, 0, 2);
  char *expired = cert_pem(leaf_key, ca_key, -3 * 86400, 1);
  char *leaf_key_pem = key_pem(leaf_key, NULL), *other_key_pem = key_pem(other_key, NULL);
  char *encrypted = key_pem(leaf_key, "pass");
  tcore_error err;

  CHECK(make(ca, leaf, leaf_key_pem, &err) == TCORE_OK);
  CHECK(make(NULL, NULL, NULL, &err) == TCORE_OK);
  CHECK(make(ca, NULL, NULL, &err) == TCORE_OK);

  /* a CA that is not PEM at all, a PEM block of garbage, a key given as the CA */
  CHECK(make("hello", NULL, NULL, &err) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(says(&err, "server_root_ca_cert", "no PEM certificate"));
  const char *garbage = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n";
  CHECK(make(garbage, NULL, NULL, &err) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(says(&err, "server_root_ca_cert is not a valid PEM certificate", NULL));
  CHECK(make(leaf_key_pem, NULL, NULL, &err) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(says(&err, "server_root_ca_cert", "no PEM certificate"));
  CHECK(strstr(err.message, "PRIVATE") == NULL);

  CHECK(make(ca, garbage, leaf_key_pem, &err) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(says(&err, "client_cert is not a valid PEM certificate", NULL));
  CHECK(make(ca, expired, leaf_key_pem, &err) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(says(&err, "client_cert has expired", NULL));

  CHECK(make(ca, leaf, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", &err) ==
        TCORE_ERR_INVALID_ARGUMENT);
  CHECK(says(&err, "client_private_key is not a valid PEM private key", NULL));
  CHECK(make(ca, leaf, other_key_pem, &err) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(says(&err, "client_private_key does not match client_cert", NULL));
  CHECK(make(ca, leaf, encrypted, &err) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(says(&err, "client_private_key is encrypted", NULL));

  /* a message never quotes the material */
  CHECK(make(ca, leaf, other_key_pem, &err) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(strstr(err.message, "-----") == NULL);

  free(ca), free(leaf), free(expired), free(leaf_key_pem), free(other_key_pem), free(encrypted);
  EVP_PKEY_free(ca_key), EVP_PKEY_free(leaf_key), EVP_PKEY_free(other_key);
}

static void test_an_api_key_a_header_cannot_carry_is_refused(void) {
  tcore_client_options *o;
  CHECK(tcore_client_options_new(&o) == TCORE_OK);
  CHECK(tcore_client_options_set_api_key(o, "key\n") == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_client_options_set_api_key(o, "k\x01y") == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_client_options_set_api_key(o, "cl\xc3\xa9") == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_client_options_set_api_key(o, "good-key") == TCORE_OK);
  CHECK(tcore_client_options_set_target(o, "127.0.0.1:1") == TCORE_OK);
  tcore_client *c = NULL;
  tcore_error err;
  CHECK(tcore_client_new(rt, o, &c, &err) == TCORE_OK);
  if (c) {
    CHECK(tcore_client_set_api_key(c, "new\r\n") == TCORE_ERR_INVALID_ARGUMENT);
    CHECK(tcore_client_set_api_key(c, "new") == TCORE_OK);
    CHECK(tcore_client_set_api_key(c, NULL) == TCORE_OK);
    tcore_client_free(c);
  }
  tcore_client_options_free(o);
}

int main(void) {
  tcore_error err;
  if (tcore_runtime_new(&rt, &err) != TCORE_OK) {
    fprintf(stderr, "runtime: %s\n", err.message);
    return 1;
  }
  RUN(test_tls_material_is_checked_with_a_message_naming_the_item);
  RUN(test_an_api_key_a_header_cannot_carry_is_refused);
  tcore_runtime_free(rt);
  return check_summary();
}
