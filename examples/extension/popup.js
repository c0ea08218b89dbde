// The popup only shows the session and forwards clicks to the service worker (background.js).
const status = document.getElementById('status');
const loginButton = document.getElementById('login');
const logoutButton = document.getElementById('logout');

async function ask(type) {
  loginButton.disabled = logoutButton.disabled = true;
  const reply = await chrome.runtime.sendMessage({ type });
  const user = reply?.user;
  status.textContent = reply?.error ?? (user ? `Signed in as ${user.name ?? user.sub}` : 'Signed out');
  loginButton.hidden = Boolean(user);
  logoutButton.hidden = !user;
  loginButton.disabled = logoutButton.disabled = false;
}

loginButton.addEventListener('click', () => ask('login'));
logoutButton.addEventListener('click', () => ask('logout'));
ask('user');
