// The tracker's internals are hidden from the dynamic linker (ELF): a second copy of the tracker
// in a shared library (the static nebula::debug linked into a module) must not bind its
// internals to the executable's copy, nor the executable's to it; only the public API and the
// replaced allocation functions are exported. Wrap internal declarations in these two.
#pragma once

#if defined(__ELF__)
#define NEBULA_INTERNAL_BEGIN _Pragma("GCC visibility push(hidden)")
#define NEBULA_INTERNAL_END _Pragma("GCC visibility pop")
#else
#define NEBULA_INTERNAL_BEGIN
#define NEBULA_INTERNAL_END
#endif
