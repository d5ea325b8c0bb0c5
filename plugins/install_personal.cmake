# install_personal.cmake — copy the plugins into the invoking user's personal plugin folder.
# Run by the install-personal target: cmake -DABI=4.0 -DFILES="a.so;b.so" -P install_personal.cmake
# ($ENV{HOME} is read when the target runs, not when the build was configured.)
set(dest "$ENV{HOME}/.local/lib/wireshark/plugins/${ABI}/epan")
file(MAKE_DIRECTORY "${dest}")
foreach(f ${FILES})
  file(COPY "${f}" DESTINATION "${dest}")
  get_filename_component(name "${f}" NAME)
  message(STATUS "installed ${dest}/${name}")
endforeach()
