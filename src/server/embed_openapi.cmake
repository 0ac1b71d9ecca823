# Writes OUT, a C++ source defining chipgate::server::openapi_document() with the text of IN.
file(READ "${IN}" content)
file(WRITE "${OUT}" "// Generated from openapi/openapi.json by src/server/embed_openapi.cmake. Do not edit.\n#include \"server/service.h\"\n\nnamespace chipgate::server {\n\nconst std::string& openapi_document() {\n  static const std::string doc = R\"chipgate_openapi(${content})chipgate_openapi\";\n  return doc;\n}\n\n}  // namespace chipgate::server\n")
