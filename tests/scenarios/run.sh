# SPDX-License-Identifier: GPL-2.0
# The main job (make run), in the stock kernel.
. /pvio/lib.sh
sh /pvio/scenarios/load.sh
