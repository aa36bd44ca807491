// epoll(7) for the follower simulator (valon-bench followers), which waits on one UDP socket
// per simulated follower: Swift's Glibc module does not include <sys/epoll.h>.
#include <sys/epoll.h>
