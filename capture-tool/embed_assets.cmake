# embed_assets.cmake — writes the HTML report's stylesheet and script into a C file as
# NUL-terminated arrays (html_asset_css, html_asset_js), so the page needs no file at run time.
#   cmake -DCSS=html_report.css -DJS=html_report.js -DOUT=html_assets.c -P embed_assets.cmake
function(embed var file out)
  file(READ ${file} text)
  string(TOLOWER "${text}" lower)
  string(FIND "${lower}" "</script" at)
  if(NOT at EQUAL -1)
    message(FATAL_ERROR "${file}: contains </script, which would end the page's script element")
  endif()
  file(READ ${file} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  string(REGEX REPLACE "((0x..,){24})" "\\1\n" hex "${hex}")
  file(APPEND ${out} "const char ${var}[] = {\n${hex}0x00};\n")
endfunction()
file(WRITE ${OUT} "/* Generated from html_report.css and html_report.js by embed_assets.cmake. */\n#include \"html.h\"\n")
embed(html_asset_css ${CSS} ${OUT})
embed(html_asset_js ${JS} ${OUT})
