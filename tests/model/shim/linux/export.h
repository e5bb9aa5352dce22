/* SPDX-License-Identifier: GPL-2.0 */
/* The checker's stand-in: see model_shim.h. */
#include <model_shim.h>
