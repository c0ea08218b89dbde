import { Link } from 'react-router';
import { Tenant } from './Tenant.js';

export function Home() {
  return (
    <main>
      <h1>Home</h1>
      <Link to="/protected?tab=orders#latest">Protected page</Link>
      <Tenant />
    </main>
  );
}
