/*===- romac.h - the C API of a model compiled by romac -----------*- C -*-===*\
|*                                                                            *|
|* Part of romac, under the Apache License v2.0 with LLVM Exceptions.         *|
|* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception                    *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* `romac compile MODEL --emit-library out.so` writes a shared object that    *|
|* runs MODEL and exports the functions below, and next to it `out.weights`,  *|
|* the model's weights, which romac_model_create() memory-maps (no copy).     *|
|* The library needs no MLIR, LLVM or romac library: link it like any other   *|
|* (`cc app.c out.so -Wl,-rpath,'$ORIGIN'`) or dlopen() it.                   *|
|*                                                                            *|
|*   char *error = NULL;                                                      *|
|*   romac_model *m = romac_model_create(NULL, &error);                       *|
|*   if (!m) { fprintf(stderr, "%s\n", error); romac_free_error(error); }     *|
|*   romac_model_set_input(m, "data_0", image, sizeof image, &error);         *|
|*   romac_model_run(m, &error);                                              *|
|*   romac_model_get_output(m, "prob_1", probs, sizeof probs, &error);        *|
|*   romac_model_destroy(m);                                                  *|
|*                                                                            *|
|* Every function that can fail returns 0 (or a null model) on failure and,  *|
|* when `error` is not null, stores a message in `*error` that the caller     *|
|* releases with romac_free_error(). No function aborts the process. The     *|
|* models of one library run one at a time (they share its weight table);    *|
|* libraries of different models may run in parallel.                        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef ROMAC_C_ROMAC_H
#define ROMAC_C_ROMAC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The version of this API; romac_api_version() returns the library's. */
#define ROMAC_API_VERSION 2

/** Element types of inputs and outputs (NumPy's names: romac_dtype_name). */
typedef enum romac_dtype {
  ROMAC_DTYPE_FLOAT32 = 0,
  ROMAC_DTYPE_FLOAT64 = 1,
  ROMAC_DTYPE_FLOAT16 = 2,
  ROMAC_DTYPE_BFLOAT16 = 3,
  ROMAC_DTYPE_INT8 = 4,
  ROMAC_DTYPE_UINT8 = 5,
  ROMAC_DTYPE_INT16 = 6,
  ROMAC_DTYPE_INT32 = 7,
  ROMAC_DTYPE_INT64 = 8,
  ROMAC_DTYPE_BOOL = 9,
  ROMAC_DTYPE_UINT16 = 10,
  ROMAC_DTYPE_UINT32 = 11,
  ROMAC_DTYPE_UINT64 = 12
} romac_dtype;

/** One input or output: a dense row-major tensor of static shape. */
typedef struct romac_tensor_info {
  /** The ONNX name. */
  const char *name;
  romac_dtype dtype;
  int rank;
  /** `rank` extents. */
  const int64_t *shape;
  /** Bytes of the whole tensor (elements times element size). */
  size_t bytes;
} romac_tensor_info;

/** A loaded model with its input and output buffers. */
typedef struct romac_model romac_model;

/** ROMAC_API_VERSION of the library. */
int romac_api_version(void);

/** "float32", "int64", ...; "?" for a value outside the enum. */
const char *romac_dtype_name(romac_dtype dtype);

/**
 * Loads the model: memory-maps its weights from `weights_path`, or when it
 * is null from the file next to the library with the extension `.weights`
 * (`out.so` reads `out.weights`), and allocates the input and output
 * buffers. A weights file of another model, or a short or corrupt one, is
 * an error.
 */
romac_model *romac_model_create(const char *weights_path, char **error);

/**
 * Packs every weight into the layouts of the kernels now (API version 2),
 * so that the first romac_model_run() costs what the later ones do; without
 * it the first run packs them. It runs the model once with the kernels'
 * arithmetic skipped: the outputs are then undefined until the next run.
 */
int romac_model_pack_weights(romac_model *model, char **error);

/** Releases the model (null is allowed). */
void romac_model_destroy(romac_model *model);

int romac_model_num_inputs(const romac_model *model);
int romac_model_num_outputs(const romac_model *model);

/** Describes input / output `index`; 0 when the index is out of range. */
int romac_model_input_info(const romac_model *model, int index,
                           romac_tensor_info *info);
int romac_model_output_info(const romac_model *model, int index,
                            romac_tensor_info *info);

/**
 * Copies `bytes` bytes from `data` into the input called `name`. An unknown
 * name or a size other than the input's is an error that lists the inputs.
 * Inputs keep their values over runs.
 */
int romac_model_set_input(romac_model *model, const char *name,
                          const void *data, size_t bytes, char **error);

/**
 * Runs the model on the inputs set so far (unset inputs hold zeros). An
 * index the model computes from its inputs outside the tensor it reads (a
 * Gather's index out of range) makes it return 0 with an error; the
 * outputs are then undefined.
 */
int romac_model_run(romac_model *model, char **error);

/**
 * Copies the output called `name` of the last run into `data`, which holds
 * `bytes` bytes (exactly the output's size).
 */
int romac_model_get_output(const romac_model *model, const char *name,
                           void *data, size_t bytes, char **error);

/**
 * Threads the model's kernels split their work over (default: the CPUs this
 * process may run on, or ROMAC_NUM_THREADS). Applies to every model of this
 * library.
 */
void romac_set_num_threads(int threads);

/** Releases a message stored by a failing call (null is allowed). */
void romac_free_error(char *error);

#ifdef __cplusplus
}
#endif

#endif /* ROMAC_C_ROMAC_H */
