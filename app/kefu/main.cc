#include "server/cli.h"

int main(int argc, char** argv) { return kefu::server::runCli(argc, argv); }
