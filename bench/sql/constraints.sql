-- The foreign keys of the benchmark shop, added (and validated) once both
-- groups of tables are filled, and the identity sequences set past the
-- generated ids.

ALTER TABLE categories  ADD FOREIGN KEY (parent_id)           REFERENCES categories;
ALTER TABLE addresses   ADD FOREIGN KEY (user_id)             REFERENCES users ON DELETE CASCADE;
ALTER TABLE products    ADD FOREIGN KEY (category_id)         REFERENCES categories;
ALTER TABLE orders      ADD FOREIGN KEY (user_id)             REFERENCES users;
ALTER TABLE orders      ADD FOREIGN KEY (shipping_address_id) REFERENCES addresses;
ALTER TABLE order_items ADD FOREIGN KEY (order_id)            REFERENCES orders ON DELETE CASCADE;
ALTER TABLE order_items ADD FOREIGN KEY (product_id)          REFERENCES products;
ALTER TABLE payments    ADD FOREIGN KEY (order_id)            REFERENCES orders;

SELECT setval(pg_get_serial_sequence('categories', 'id'), 60);
SELECT setval(pg_get_serial_sequence('users', 'id'), :users);
SELECT setval(pg_get_serial_sequence('addresses', 'id'), 2 * :users);
SELECT setval(pg_get_serial_sequence('orders', 'id'), 3 * :users);
SELECT setval(pg_get_serial_sequence('order_items', 'id'), 9 * :users);
SELECT setval(pg_get_serial_sequence('payments', 'id'), 3 * :users);
SELECT setval(pg_get_serial_sequence('products', 'id'), :products);
