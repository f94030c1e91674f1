/**
 * The usage texts of `hypergolix start|stop app|server`, apart from the code that runs them, so
 * that `start`'s dispatcher (commands/lifecycle.ts) can print them without loading either.
 */

export const APP_START_USAGE = `Usage: hypergolix start app [--foreground] [--password-stdin [--allow-weak-password]] [--root PATH]
       hypergolix start app --ui [--port N] [--root PATH]

Starts the Hypergolix app daemon. The first run creates your account: it asks for a new
password twice, generates your keys while you type it, and prints your fingerprint and user
ID. Later runs ask for the password once (unless user.root_secret is set). Then the daemon runs in the
background and this command returns once it is ready.

  --foreground      stay attached (logs on the terminal too); stop with Ctrl-C
  --password-stdin  read the password from the first line of standard input (for scripts)
  --allow-weak-password
                    with --password-stdin, a new account's password needs only the length
                    (10 characters), not the strength check
  --root PATH       use this hypergolix.yml (or directory) instead of searching
  --ui              browser mode: run the daemon here (in the foreground) and serve the
                    desktop app's window on 127.0.0.1; prints the address to open, which
                    carries an access token. The account is created or unlocked there.
  --port N          with --ui: the port of that address (default: a free one)`;

export const APP_STOP_USAGE = `Usage: hypergolix stop app [--force] [--root PATH]

Stops the app daemon gracefully (the account is flushed, remotes are told), waiting until it
has exited and released its IPC port. --force kills it if it does not stop in time.`;

export const SERVER_START_USAGE = `Usage: hypergolix start server [--foreground] [--root PATH]

Starts the Hypergolix persistence server with the settings in the server: section of
hypergolix.yml (ghidcache, logdir, pid_file, host, port, verbosity, debug, and the limits).
The file must exist: create it with "hypergolix config". Without --foreground the server runs
in the background and this command returns once it accepts connections.

  --foreground   stay attached (for systemd and containers); logs go to the terminal too,
                 and Ctrl-C or SIGTERM stops the server gracefully
  --root PATH    use this hypergolix.yml (or the one in this directory) instead of searching
                 $HYPERGOLIX_HOME, the current directory, ~/.hypergolix, /etc/hypergolix

Health and metrics: GET /healthz and /metrics over plain HTTP on the server's port.`;

export const SERVER_STOP_USAGE = `Usage: hypergolix stop server [--force] [--root PATH]

Stops the persistence server named by server.pid_file gracefully (in-flight publishes are
answered, connections closed, the store flushed) and waits until it has exited and released
its port. --force kills it if it has not stopped within 30 seconds.`;
