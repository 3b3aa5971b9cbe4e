"""dnsmasq as the tests' DHCP and DNS peer: started in the test's network namespace from a
config the test writes (one list of lines), and stopped whatever state it is in."""
import subprocess
import time


def start(conf_path, lines, failure=RuntimeError):
    """Writes `lines` to conf_path and runs dnsmasq in the foreground from it; raises
    `failure` with dnsmasq's own words if it stops at once (a bad line, a busy port)."""
    with open(conf_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    p = subprocess.Popen(["dnsmasq", "--keep-in-foreground", f"--conf-file={conf_path}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)
    if p.poll() is not None:
        raise failure("dnsmasq did not start: " + p.stderr.read())
    return p


def stop(p):
    """Ends a dnsmasq that start() gave (None is allowed): SIGTERM, SIGKILL after 3 s."""
    if p is None:
        return
    p.terminate()
    try:
        p.wait(timeout=3)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
