"""Hostile input, one family per section (issue 11): each test asserts the exact `Error:` line or
the exact outcome a student gets when they feed cetrain a broken file, an impossible option or
an interrupt. The fuzzing that generalises these families lives beside each layer's tests.
"""


# --- Interrupting: Ctrl-C and SIGTERM before, during and after training ----------------------


# --- Concurrent runs: runs started together never collide ------------------------------------


# --- Values at the edges of float64: loss options, class weights, extreme CSV values ---------


# --- Numbers that are not plain numbers: thousands separators, decimal commas ----------------


# --- Sizes: epochs, generated rows, polynomial expansions, demo starts, long names -----------


# --- Config files: nesting, NUL bytes, wrong types -------------------------------------------


# --- Model files: nesting, non-finite numbers, wrong types, sizes, unknown names -------------


# --- Output: tables, advice, library warnings, symlinked and read-only folders ---------------


# --- Optimiser honesty: a status never claims more than happened -----------------------------
