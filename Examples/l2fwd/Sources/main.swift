import Glibc

exit(L2fwd.run(Array(CommandLine.arguments.dropFirst())))
