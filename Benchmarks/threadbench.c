/* The threaded benchmark workload: THREADS threads started together, each making PAIRS
 * anonymous mmap/munmap pairs, so that many tracees stop at once. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

static long pairs;
static pthread_barrier_t start;

static void *work(void *arg) {
    (void)arg;
    pthread_barrier_wait(&start);
    for (long i = 0; i < pairs; i++) {
        void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) { perror("mmap"); exit(1); }
        munmap(p, 4096);
    }
    return NULL;
}

int main(int argc, char **argv) {
    long threads = argc > 1 ? atol(argv[1]) : 200;
    pairs = argc > 2 ? atol(argv[2]) : 500;
    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    pthread_barrier_init(&start, NULL, (unsigned)threads);
    for (long i = 0; i < threads; i++)
        if (pthread_create(&ids[i], NULL, work, NULL) != 0) { perror("pthread_create"); return 1; }
    for (long i = 0; i < threads; i++) pthread_join(ids[i], NULL);
    return 0;
}
