#!/usr/bin/env python3
"""The display frontends, for real (make display-check).

SDL, under Xvfb: the graphics test guest (gfx.asm) in mode 13h, 12h and VBE
640x480x32 shown in Popek's window; a screenshot of that window taken by
ImageMagick's `import` (a separate X client) must equal, pixel for pixel,
Popek's own screendump of the frame.  Keys sent by xdotool to the window
reach the guest: ESC opens SeaBIOS's boot menu (seen in its log and on the
screen).  The window's title says the machine is running.  Ctrl-Alt-2 opens
the monitor on the terminal (the serial console's, or an unused one) or
says where the monitor is.

curses, in tmux: SeaBIOS's banner and "No bootable device." appear in the
pane (tmux capture-pane), and ESC typed into the pane opens the boot menu.

Each part prints "skipped: <reason>" when the host lacks what it needs
(Xvfb, xdotool, ImageMagick, tmux, SeaBIOS).  Exits 1 if a check failed.
"""
import argparse
import fcntl
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import termios
import time

failures = 0


def check(ok, what, detail=""):
    global failures
    print("check: %s: %s%s" % (what, "ok" if ok else "FAILED", "" if ok or not detail else ": " + detail))
    if not ok:
        failures += 1


def wait_for(pred, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


def file_has(path, text):
    try:
        with open(path, "rb") as f:
            return text.encode() in f.read()
    except OSError:
        return False


def start_xvfb():
    r, w = os.pipe()
    p = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
                         pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    num = b""
    end = time.time() + 20
    while time.time() < end and not num.endswith(b"\n"):
        chunk = os.read(r, 16)
        if not chunk:
            break
        num += chunk
    os.close(r)
    if not num.strip():
        p.kill()
        return None, None
    return p, ":" + num.decode().strip()


def window_of(env, pid, timeout=20):
    def find():
        p = subprocess.run(["xdotool", "search", "--pid", str(pid), "--name", "Popek"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        ids = p.stdout.split()
        return ids[-1].decode() if ids else None
    wid = None
    end = time.time() + timeout
    while time.time() < end and not wid:
        wid = find()
        if not wid:
            time.sleep(0.2)
    return wid


def read_until(fd, text, timeout):
    """What fd gives until text appears in it (or the time is up)."""
    got = b""
    end = time.time() + timeout
    while text.encode() not in got and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            got += chunk
    return got.decode("latin-1")


def ctty():
    """In the child: its new session's controlling terminal is its standard input."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def monitor_key_run(a, env, serial):
    """One run for monitor_key_checks: what the terminal said, and whether
    the monitor's stop paused the guest."""
    master, slave = os.openpty()
    p = subprocess.Popen([a.popek, "--display", "sdl", "--serial", serial, "--at", "60s:quit"], env=env,
                         stdin=slave, stdout=slave, stderr=slave, start_new_session=True, preexec_fn=ctty)
    wid = window_of(env, p.pid)
    name = lambda: subprocess.run(["xdotool", "getwindowname", wid], env=env,
                                  stdout=subprocess.PIPE).stdout.decode().strip()
    said = ""
    paused = False
    if wid and wait_for(lambda: name() == "Popek - running", 10):
        # Focusing a window that is not mapped yet fails (no window
        # manager here): press again until the monitor answers.
        for _ in range(5):
            subprocess.run(["xdotool", "windowfocus", "--sync", wid, "key", "ctrl+alt+2"], env=env,
                           stderr=subprocess.DEVNULL)
            said += read_until(master, "(popek) ", 2)
            if "(popek) " in said:
                break
        os.write(master, b"stop\r")
        paused = wait_for(lambda: name() == "Popek - paused", 5)
    p.terminate()
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
    os.close(master)
    os.close(slave)
    return said, paused


def monitor_key_checks(a, env):
    """Ctrl-Alt-2, QEMU's monitor key: the monitor on the terminal popek
    runs in (the serial console's, as Ctrl-A c; or, with that terminal
    unused, a stdio monitor opened there and then), else a line saying
    where it is.  Each time the monitor's stop must then pause the guest
    (the title), so the key did open a working monitor."""
    for serial in ("stdio", "null"):
        how = "the serial console's monitor" if serial == "stdio" else "a monitor opened on the unused terminal"
        # xdotool now and then finds no window, or focuses it too early,
        # under load (CI): the harness failing, not Popek; so the run is
        # made again, up to three times, saying so.
        for attempt in range(3):
            said, paused = monitor_key_run(a, env, serial)
            ok = "(popek) " in said and (serial == "stdio" or "Popek monitor" in said) and paused
            if ok:
                break
            print("display-check: sdl: Ctrl-Alt-2 (%s): nothing on attempt %d; again" % (serial, attempt + 1))
        check(ok, "sdl: Ctrl-Alt-2 gives %s; its stop pauses the guest" % how,
              "said %r, paused %s" % (said[-200:], paused))
    # As above, the key now and then does not reach the window under load:
    # a fresh run, up to three times, saying so.
    for attempt in range(3):
        with socket.socket() as sk:
            sk.bind(("127.0.0.1", 0))
            port = sk.getsockname()[1]
        errf = tempfile.TemporaryFile()
        p = subprocess.Popen([a.popek, "--display", "sdl", "--monitor", "tcp::%d" % port, "--at", "60s:quit"],
                             env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errf)
        want = "popek: the monitor is on tcp:127.0.0.1:%d" % port
        err = lambda: (errf.seek(0), errf.read().decode(errors="replace"))[1]
        wid = window_of(env, p.pid)
        for _ in range(5 if wid else 0):
            subprocess.run(["xdotool", "windowfocus", "--sync", wid, "key", "ctrl+alt+2"], env=env,
                           stderr=subprocess.DEVNULL)
            if wait_for(lambda: want in err(), 2):
                break
        p.terminate()
        p.wait(timeout=30)
        if want in err():
            break
        print("display-check: sdl: Ctrl-Alt-2 (no terminal): nothing on attempt %d (window %s); again"
              % (attempt + 1, wid))
        if attempt < 2:
            errf.close()
    check(want in err(),
          "sdl: Ctrl-Alt-2 with no terminal says where the monitor is", err()[-300:])
    errf.close()


def sdl_checks(a, tmp):
    for tool in ("Xvfb", "xdotool", "import", "compare"):
        if not shutil.which(tool):
            print("display-check: sdl: skipped: %s is not installed" % tool)
            return
    xvfb, disp = start_xvfb()
    if not xvfb:
        print("display-check: sdl: skipped: Xvfb did not start")
        return
    env = dict(os.environ, DISPLAY=disp)
    env.pop("POPEK_DISPLAY", None)
    try:
        for mode, size in (("13", "320x200"), ("12", "640x480"), ("0x132", "640x480")):
            own = os.path.join(tmp, "own-%s.png" % mode)
            shot = os.path.join(tmp, "x-%s.png" % mode)
            p = subprocess.Popen([a.popek, "--display", "sdl", "--option-rom", os.path.join(a.roms, "gfx-%s.rom" % mode),
                                  "--at", "3s:screendump " + own, "--at", "30s:quit"], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            wid = window_of(env, p.pid)
            ok = wid is not None and wait_for(lambda: os.path.exists(own), 30)
            title = b""
            if ok:
                time.sleep(0.5)  # the window shows a new frame within 1/60 s
                subprocess.run(["import", "-window", wid, shot], env=env, check=False)
                title = subprocess.run(["xdotool", "getwindowname", wid], env=env, stdout=subprocess.PIPE).stdout
                if mode == "13":
                    # A click grabs the mouse, Ctrl-Alt-G lets it go (QEMU's keys).
                    name = lambda: subprocess.run(["xdotool", "getwindowname", wid], env=env,
                                                  stdout=subprocess.PIPE).stdout.decode().strip()
                    subprocess.run(["xdotool", "mousemove", "--window", wid, "50", "50", "click", "1"], env=env)
                    grabbed = wait_for(lambda: "mouse grabbed" in name(), 5)
                    check(grabbed, "sdl: a click grabs the mouse (title)", name())
                    subprocess.run(["xdotool", "windowfocus", "--sync", wid, "key", "ctrl+alt+g"], env=env)
                    check(wait_for(lambda: name() == "Popek - running", 5), "sdl: Ctrl-Alt-G releases it (title)",
                          name())
            p.terminate()
            out, err = p.communicate(timeout=30)
            if not ok:
                check(False, "sdl: mode %s: window and screendump" % mode, err.decode()[-300:])
                continue
            ident = subprocess.run(["identify", "-format", "%wx%h", shot], stdout=subprocess.PIPE).stdout.decode()
            check(ident == size, "sdl: mode %s: the window is %s" % (mode, size), ident)
            c = subprocess.run(["compare", "-metric", "AE", shot, own, "null:"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
            diff = c.stderr.decode().strip()
            check(diff == "0", "sdl: mode %s: an X screenshot of the window equals Popek's screendump" % mode,
                  "%s pixels differ" % diff)
            if mode == "13":
                check(title.decode().strip() == "Popek - running", "sdl: the title says running", repr(title))

        # Keys: ESC from xdotool opens SeaBIOS's boot menu.
        log = os.path.join(tmp, "sdl-menu.log")
        scr = os.path.join(tmp, "sdl-menu.txt")
        p = subprocess.Popen([a.popek, "--display", "sdl", "--boot", "menu=on,splash-time=20000", "--debugcon", log,
                              "--at", "60s:quit"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wid = window_of(env, p.pid)
        prompt = wid is not None and wait_for(lambda: file_has(log, "Press ESC for boot menu"), 30)
        if prompt:
            subprocess.run(["xdotool", "windowfocus", "--sync", wid, "key", "Escape"], env=env)
        menu = prompt and wait_for(lambda: file_has(log, "Select boot device"), 20)
        p.terminate()
        p.communicate(timeout=30)
        check(prompt and menu, "sdl: ESC typed with xdotool opens the boot menu", "prompt %s" % prompt)

        # The mouse: a guest with the BIOS's PS/2 mouse services enabled
        # (gfx.asm, MODE 0x4D) prints every packet.  A click grabs; moves
        # right and up and a left press must arrive as PS/2 packets.
        out = os.path.join(tmp, "mouse.out")
        for attempt in range(3):
            # xdotool now and then finds no window for a PID (seen under
            # load in CI: the guest ran, the window was there); that is the
            # harness failing, not Popek, so the run is started again.
            with open(out, "wb") as of:
                p = subprocess.Popen([a.popek, "--display", "sdl", "--option-rom",
                                      os.path.join(a.roms, "gfx-0x4D.rom"), "--at", "60s:quit"], env=env,
                                     stdout=of, stderr=subprocess.PIPE)
                wid = window_of(env, p.pid)
                if wid is not None or attempt == 2:
                    break
                p.terminate()
                p.communicate(timeout=30)
                print("display-check: sdl: xdotool found no window for the mouse run; starting it again")
        enabled = wid is not None and wait_for(lambda: file_has(out, "gfx: mouse enabled"), 30)
        packets = []
        grab_title = None
        title = lambda: subprocess.run(["xdotool", "getwindowname", wid], env=env, stdout=subprocess.PIPE,
                                       stderr=subprocess.DEVNULL).stdout.decode(errors="replace")
        # Moves count only once a click has grabbed the mouse.  Under load
        # X now and then delivers nothing of a first attempt (CI saw no
        # packets at all, and the same run passed alone), so the gesture is
        # made up to three times; what is checked is that Popek passes on
        # what reaches its window.
        for attempt in range(3 if enabled else 0):
            subprocess.run(["xdotool", "mousemove", "--window", wid, "100", "100", "click", "1"], env=env)
            grab_title = title() if wait_for(lambda: "mouse grabbed" in title(), 10) else "not grabbed: " + title()
            time.sleep(0.2)
            for _ in range(5):
                subprocess.run(["xdotool", "mousemove_relative", "--", "7", "-5"], env=env)
                time.sleep(0.1)
            subprocess.run(["xdotool", "mousedown", "1"], env=env)
            time.sleep(0.3)
            subprocess.run(["xdotool", "mouseup", "1"], env=env)
            wait_for(lambda: file_has(out, "mouse: 09"), 10)
            packets = []
            with open(out, "rb") as f:
                for line in f.read().decode("latin-1").splitlines():
                    if line.startswith("mouse: "):
                        packets.append([int(x, 16) for x in line[7:].split()])
            if any(pk[0] & 0x01 for pk in packets) and any(pk[1] > 0 for pk in packets):
                break
            print("display-check: sdl: no mouse packets came of attempt %d (%s); again" % (attempt + 1, grab_title))
            subprocess.run(["xdotool", "key", "--window", wid, "ctrl+alt+g"], env=env)
        p.terminate()
        err = p.communicate(timeout=30)[1]
        with open(out, "rb") as f:
            said = f.read().decode("latin-1")
        check(enabled, "sdl: the guest enabled the PS/2 mouse through the BIOS",
              "window %s, guest said %r, stderr %r" % (wid, said[-200:], err.decode("latin-1")[-300:]))
        # Status byte: bit 3 always 1, bit 4 X sign, bit 5 Y sign, bit 0 left.
        moved = [pk for pk in packets if pk[0] & 0x08 and not pk[0] & 0x10 and pk[1] > 0 and
                 not pk[0] & 0x20 and pk[2] > 0]
        check(bool(moved), "sdl: moving right and up reaches the guest as PS/2 packets (dx > 0, dy > 0)",
              "%r; title %r; the guest said %r; stderr %r" % (packets[:8], grab_title if enabled else None, said[-300:],
                                                             err.decode("latin-1")[-300:]))
        check(any(pk[0] & 0x01 for pk in packets), "sdl: the left button reaches the guest", repr(packets[:8]))

        # Paused from the monitor (on the serial console beside the window):
        # the title says so, and running again after cont.
        master, slave = os.openpty()
        p = subprocess.Popen([a.popek, "--display", "sdl", "--serial", "stdio", "--at", "60s:quit"], env=env,
                             stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
        wid = window_of(env, p.pid)
        name = lambda: subprocess.run(["xdotool", "getwindowname", wid], env=env,
                                      stdout=subprocess.PIPE).stdout.decode().strip()
        ok_pause = ok_cont = False
        if wid:
            os.write(master, b"\x01c")
            time.sleep(0.2)
            os.write(master, b"stop\r")
            ok_pause = wait_for(lambda: name() == "Popek - paused", 5)
            os.write(master, b"cont\r")
            ok_cont = wait_for(lambda: name() == "Popek - running", 5)
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
        os.close(master)
        os.close(slave)
        check(ok_pause and ok_cont, "sdl: the monitor's stop shows 'paused' in the title, cont 'running'",
              "pause %s cont %s" % (ok_pause, ok_cont))
        monitor_key_checks(a, env)

        # Closing the window (WM_DELETE_WINDOW, what a window manager sends)
        # ends the run with status 0, as QEMU quits.
        if a.xclose and os.path.exists(a.xclose):
            p = subprocess.Popen([a.popek, "--display", "sdl", "--at", "60s:quit"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            wid = window_of(env, p.pid)
            rc = None
            if wid:
                time.sleep(1)
                # Under load the first close can come before the window takes
                # WM messages: it is sent again (up to three times, saying so).
                for attempt in range(3):
                    subprocess.run([a.xclose, wid], env=env)
                    try:
                        rc = p.wait(timeout=8)
                        break
                    except subprocess.TimeoutExpired:
                        print("display-check: sdl: the window is still open %d s after close #%d: closing again"
                              % (8, attempt + 1))
            if rc is None:
                p.kill()
                p.wait()
            check(wid is not None and rc == 0, "sdl: closing the window ends the run (status 0)", "status %r" % rc)
        else:
            print("display-check: sdl: window close: skipped: xclose was not built")
    finally:
        xvfb.kill()
        xvfb.wait()


def tmux_checks(a, tmp):
    if not shutil.which("tmux"):
        print("display-check: curses: skipped: tmux is not installed")
        return
    sock = os.path.join(tmp, "tmux.sock")
    log = os.path.join(tmp, "curses.log")
    env = dict(os.environ)
    env.pop("POPEK_DISPLAY", None)
    env.pop("DISPLAY", None)
    env["TERM"] = "xterm-256color"

    def tmux(*args, **kw):
        return subprocess.run(["tmux", "-S", sock] + list(args), env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, **kw)

    def pane(session):
        return tmux("capture-pane", "-p", "-t", session).stdout.decode("utf-8", "replace")

    menu_cmd = "%s --display curses --boot menu=on,splash-time=20000 --debugcon %s --at 60s:quit; sleep 30" % (
        a.popek, log)
    boot_cmd = "%s --display curses --at 30s:quit; sleep 30" % a.popek
    r = tmux("new-session", "-d", "-s", "menu", "-x", "80", "-y", "25", menu_cmd)
    if r.returncode != 0:
        print("display-check: curses: skipped: tmux could not start a session: %s" % r.stderr.decode().strip())
        return
    try:
        tmux("new-session", "-d", "-s", "boot", "-x", "80", "-y", "25", boot_cmd)
        banner = wait_for(lambda: "SeaBIOS (version" in pane("menu") and "Press ESC for boot menu." in pane("menu"), 30)
        check(banner, "curses: tmux shows SeaBIOS's banner and menu prompt", repr(pane("menu")[:400]))
        if banner:
            tmux("send-keys", "-t", "menu", "Escape")
        menu = banner and wait_for(lambda: "Select boot device:" in pane("menu"), 20)
        check(menu, "curses: ESC typed in the pane opens the boot menu", repr(pane("menu")[:400]))
        # Without the menu SeaBIOS goes on to fail its boot, on screen.
        done = wait_for(lambda: "No bootable device." in pane("boot"), 30)
        check(done, "curses: 'No bootable device.' appears in the pane", repr(pane("boot")[:400]))
    finally:
        tmux("kill-server")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--popek", required=True)
    ap.add_argument("--roms", required=True)
    ap.add_argument("--xclose", help="tests/display/xclose.c, built")
    a = ap.parse_args()
    a.popek = os.path.abspath(a.popek)
    for need in ("/usr/share/seabios/bios-256k.bin", "/usr/share/seabios/vgabios-stdvga.bin"):
        if not os.path.exists(need):
            print("display-check: skipped: %s is missing (Debian's seabios package)" % need)
            return 0
    tmp = tempfile.mkdtemp(prefix="popek-display-")
    sdl_checks(a, tmp)
    tmux_checks(a, tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
