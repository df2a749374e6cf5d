# Source this file: puts the checkout's `facetracker` command (bin/), its Node 24 (when the system one is
# older) and pnpm on PATH.
_ft_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
[ -x "$_ft_root/.tools/node/bin/node" ] && PATH="$_ft_root/.tools/node/bin:$PATH"
[ -x "$_ft_root/.tools/pnpm/node_modules/.bin/pnpm" ] && PATH="$_ft_root/.tools/pnpm/node_modules/.bin:$PATH"
case ":$PATH:" in *":$_ft_root/bin:"*) ;; *) PATH="$_ft_root/bin:$PATH" ;; esac
export PATH
unset _ft_root
