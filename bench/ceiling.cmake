# Adds the bench's C program to the repo's own CMake build without editing it:
# bench/run configures the repo root with -DCMAKE_PROJECT_INCLUDE=<this file>,
# which runs right after the root's project(); the target is added at the end
# of the root directory (cmake_language DEFER), once `tcore` exists, and links
# against it with whatever dependencies the core declares.
set(_TCORE_BENCH_DIR "${CMAKE_CURRENT_LIST_DIR}")

function(_tcore_bench_targets)
  foreach(prog start_ceiling activity_ceiling)
    add_executable(${prog} "${_TCORE_BENCH_DIR}/${prog}.c")
    target_compile_options(${prog} PRIVATE -O2 -Wall -Wextra)
    target_link_libraries(${prog} PRIVATE tcore)
  endforeach()
endfunction()

cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL _tcore_bench_targets)
