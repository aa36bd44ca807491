#include "CCurl.h"
#include <pthread.h>

static pthread_once_t ccurl_once = PTHREAD_ONCE_INIT;

static void ccurl_global_init(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void ccurl_global_init_once(void) {
    pthread_once(&ccurl_once, ccurl_global_init);
}
