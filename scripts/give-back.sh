# Sourced by the lab, make check and make demo. After `sudo make demo`, the
# files a run made (bin/, build/, lab/, workshop/) would belong to root, and
# the learner's later `make lab` or `make check` as themselves would fail
# on them. So a run under sudo gives them back to the user who typed sudo,
# and a run as a normal user that finds root's files says how to repair.

# give_back PATH...: under sudo, hand PATH (recursively) to the sudo user.
give_back() {
    [ "$(id -u)" = 0 ] && [ -n "${SUDO_UID:-}" ] && [ "${SUDO_UID}" != 0 ] || return 0
    local path
    for path in "$@"; do
        [ -e "$path" ] && chown -R "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$path" 2>/dev/null
    done
    return 0
}

# require_writable PATH...: as a normal user, one sentence and a failure if
# root owns something there that a run must write.
require_writable() {
    [ "$(id -u)" != 0 ] || return 0
    local path owned
    for path in "$@"; do
        [ -e "$path" ] || continue
        owned=$(find "$path" ! -writable -print -quit 2>/dev/null)
        if [ -n "$owned" ]; then
            echo "$path is not yours ($owned belongs to $(stat -c %U "$owned"), left by an earlier 'sudo make ...'):" \
                 "run 'sudo chown -R $(id -un): $path' once, then try again." >&2
            return 1
        fi
    done
}
