/*===- run_model.c - an application of a romac model library ------*- C -*-===*\
|*                                                                            *|
|* Part of romac, under the Apache License v2.0 with LLVM Exceptions.         *|
|* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception                    *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* Linked against a library of `romac compile --emit-library` with nothing   *|
|* but romac-c/romac.h, as an application would be:                           *|
|*   run_model OUT_DIR NAME=FILE.npy...                                       *|
|* prints the model's inputs and outputs, sets every input from its .npy      *|
|* file, packs the weights, runs, writes every output as OUT_DIR/NAME.npy,    *|
|* then checks that the API's errors come back as messages (a wrong name, a   *|
|* wrong size, a weights file that is missing or of another model) and prints *|
|* "ok".                                                                      *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "romac-c/romac.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failed(const char *what, char *error) {
  fprintf(stderr, "run_model: %s: %s\n", what, error ? error : "(no message)");
  romac_free_error(error);
  return 1;
}

/* The .npy descr of each romac_dtype (bfloat16 has none). */
static const char *descr(romac_dtype dtype) {
  static const char *const names[] = {"<f4", "<f8", "<f2", "", "|i1",
                                      "|u1", "<i2", "<i4", "<i8", "|b1",
                                      "<u2", "<u4", "<u8"};
  return (int)dtype >= 0 && (int)dtype < 13 ? names[dtype] : "";
}

/* Reads the data of a version 1 or 2 .npy file of exactly `bytes` bytes. */
static void *read_npy(const char *path, size_t bytes) {
  FILE *f = fopen(path, "rb");
  unsigned char head[12];
  size_t header;
  void *data;
  if (!f)
    return NULL;
  if (fread(head, 1, 10, f) != 10 || memcmp(head, "\x93NUMPY", 6) != 0) {
    fclose(f);
    return NULL;
  }
  header = head[8] | (size_t)head[9] << 8;
  if (head[6] >= 2) {
    if (fread(head + 10, 1, 2, f) != 2) {
      fclose(f);
      return NULL;
    }
    header |= (size_t)head[10] << 16 | (size_t)head[11] << 24;
  }
  data = malloc(bytes ? bytes : 1);
  if (!data || fseek(f, (long)header, SEEK_CUR) != 0 ||
      fread(data, 1, bytes, f) != bytes || fgetc(f) != EOF) {
    free(data);
    fclose(f);
    return NULL;
  }
  fclose(f);
  return data;
}

/* Writes a version 1 .npy file. */
static int write_npy(const char *path, const romac_tensor_info *info,
                     const void *data) {
  char header[256];
  int n, i;
  FILE *f;
  n = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': "
               "False, 'shape': (", descr(info->dtype));
  for (i = 0; i < info->rank; ++i)
    n += snprintf(header + n, sizeof header - n, "%lld%s",
                  (long long)info->shape[i], info->rank == 1 ? "," : ", ");
  n += snprintf(header + n, sizeof header - n, "), }");
  while ((10 + n + 1) % 64 != 0)
    header[n++] = ' ';
  header[n++] = '\n';
  f = fopen(path, "wb");
  if (!f)
    return 0;
  fwrite("\x93NUMPY\x01\x00", 1, 8, f);
  fputc(n & 0xff, f);
  fputc(n >> 8, f);
  fwrite(header, 1, (size_t)n, f);
  fwrite(data, 1, info->bytes, f);
  return fclose(f) == 0;
}

static void print_info(const char *kind, const romac_tensor_info *info) {
  int d;
  printf("%s %s: %s[", kind, info->name, romac_dtype_name(info->dtype));
  for (d = 0; d < info->rank; ++d)
    printf("%s%lld", d ? ", " : "", (long long)info->shape[d]);
  printf("] %zu bytes\n", info->bytes);
}

/* The API's errors: each one a message, none fatal. */
static int check_errors(romac_model *model) {
  char *error = NULL;
  char byte = 0;
  romac_tensor_info info;
  romac_model_input_info(model, 0, &info);
  if (romac_model_set_input(model, "no such input", &byte, 1, &error))
    return 0;
  printf("error: %s\n", error);
  romac_free_error(error);
  error = NULL;
  if (romac_model_set_input(model, info.name, &byte, 1, &error))
    return 0;
  printf("error: %s\n", error);
  romac_free_error(error);
  error = NULL;
  romac_model_output_info(model, 0, &info);
  if (romac_model_get_output(model, info.name, &byte, 1, &error))
    return 0;
  printf("error: %s\n", error);
  romac_free_error(error);
  error = NULL;
  if (romac_model_input_info(model, 1000, &info))
    return 0;
  if (romac_model_create("/nonexistent/model.weights", &error))
    return 0;
  printf("error: %s\n", error);
  romac_free_error(error);
  return 1;
}

int main(int argc, char **argv) {
  char *error = NULL;
  romac_model *model;
  int i, k;
  if (argc < 2) {
    fprintf(stderr, "usage: run_model OUT_DIR NAME=FILE.npy...\n");
    return 2;
  }
  if (romac_api_version() != ROMAC_API_VERSION)
    return failed("romac_api_version", NULL);
  model = romac_model_create(NULL, &error);
  if (!model)
    return failed("romac_model_create", error);
  for (i = 0; i < romac_model_num_inputs(model); ++i) {
    romac_tensor_info info;
    romac_model_input_info(model, i, &info);
    print_info("input", &info);
  }
  for (i = 0; i < romac_model_num_outputs(model); ++i) {
    romac_tensor_info info;
    romac_model_output_info(model, i, &info);
    print_info("output", &info);
  }
  for (k = 2; k < argc; ++k) {
    char *name = argv[k], *path = strchr(argv[k], '=');
    romac_tensor_info info;
    void *data = NULL;
    if (!path)
      return failed(argv[k], NULL);
    *path++ = '\0';
    for (i = 0; i < romac_model_num_inputs(model); ++i) {
      romac_model_input_info(model, i, &info);
      if (strcmp(info.name, name) == 0)
        data = read_npy(path, info.bytes);
    }
    if (!data)
      return failed(path, NULL);
    if (!romac_model_set_input(model, name, data, info.bytes, &error))
      return failed("romac_model_set_input", error);
    free(data);
  }
  if (!romac_model_pack_weights(model, &error))
    return failed("romac_model_pack_weights", error);
  if (!romac_model_run(model, &error))
    return failed("romac_model_run", error);
  for (i = 0; i < romac_model_num_outputs(model); ++i) {
    romac_tensor_info info;
    char path[4096], file[1024];
    size_t c;
    void *data;
    romac_model_output_info(model, i, &info);
    data = malloc(info.bytes ? info.bytes : 1);
    if (!romac_model_get_output(model, info.name, data, info.bytes, &error))
      return failed("romac_model_get_output", error);
    /* The file name: characters outside [A-Za-z0-9._-] become '_'. */
    snprintf(file, sizeof file, "%s", info.name);
    for (c = 0; file[c]; ++c)
      if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                  "0123456789._-", file[c]))
        file[c] = '_';
    snprintf(path, sizeof path, "%s/%s.npy", argv[1], file);
    if (!write_npy(path, &info, data))
      return failed(path, NULL);
    free(data);
  }
  if (!check_errors(model))
    return failed("an erroneous call succeeded", NULL);
  romac_model_destroy(model);
  printf("ok\n");
  return 0;
}
