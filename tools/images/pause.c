/* The pod sandbox's first process for the cluster test's containerd: it holds the pod's namespaces,
 * exits 0 on SIGINT/SIGTERM and reaps children re-parented to it. Built static (tools/images/test-images.sh)
 * so its image needs nothing but this file. `pause -v` prints the version. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PAUSE_VERSION
#define PAUSE_VERSION "dev"
#endif

static void on_stop(int sig) {
  (void)sig;
  static const char msg[] = "pause: stopping\n";
  (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
  _exit(0);
}

static void on_child(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    printf("pause %s (mikrotik-kube)\n", PAUSE_VERSION);
    return 0;
  }
  if (getpid() != 1) fputs("pause: not process 1 of its pid namespace; running anyway\n", stderr);
  struct sigaction stop = {.sa_handler = on_stop};
  struct sigaction child = {.sa_handler = on_child, .sa_flags = SA_NOCLDSTOP};
  if (sigaction(SIGINT, &stop, NULL) < 0 || sigaction(SIGTERM, &stop, NULL) < 0) return 1;
  if (sigaction(SIGCHLD, &child, NULL) < 0) return 2;
  for (;;) pause();
}
