-- A database as Seedbed's first schema (migration 1) left it, with one project
-- and one reviewed candidate. Never edit: it stands for databases users already have.
BEGIN TRANSACTION;
CREATE TABLE attribute_dimensions (
	id INTEGER NOT NULL, 
	project_id INTEGER NOT NULL, 
	position INTEGER NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	description TEXT NOT NULL, 
	attr_values JSON NOT NULL, 
	per_label JSON NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_dimension_name UNIQUE (project_id, name), 
	FOREIGN KEY(project_id) REFERENCES projects (id) ON DELETE CASCADE
);
CREATE TABLE candidates (
	id INTEGER NOT NULL, 
	project_id INTEGER NOT NULL, 
	method VARCHAR(64) NOT NULL, 
	label VARCHAR(200), 
	content JSON NOT NULL, 
	edited_content JSON, 
	attributes JSON NOT NULL, 
	prompt JSON NOT NULL, 
	model VARCHAR(200) NOT NULL, 
	params JSON NOT NULL, 
	prompt_tokens INTEGER NOT NULL, 
	completion_tokens INTEGER NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	checks JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(project_id) REFERENCES projects (id) ON DELETE CASCADE
);
INSERT INTO "candidates" VALUES(1,1,'attrprompt','a','{"text": "An old text.", "label": "a"}',NULL,'{}','[]','m','{}',1,2,'accepted','[{"name": "length", "passed": false, "score": 2.0, "detail": "2 words"}]','2026-11-21 00:00:00.000000');
CREATE TABLE projects (
	id INTEGER NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	kind VARCHAR(32) NOT NULL, 
	description TEXT NOT NULL, 
	labels JSON NOT NULL, 
	item_name VARCHAR(200) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (name)
);
INSERT INTO "projects" VALUES(1,'Legacy','classification','from v1','["a", "b"]','','2026-11-21 00:00:00.000000');
CREATE TABLE reviews (
	id INTEGER NOT NULL, 
	candidate_id INTEGER NOT NULL, 
	decision VARCHAR(16) NOT NULL, 
	edited_content JSON, 
	annotator VARCHAR(200) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(candidate_id) REFERENCES candidates (id) ON DELETE CASCADE
);
CREATE TABLE schema_migrations (
	version INTEGER NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	applied_at DATETIME NOT NULL, 
	PRIMARY KEY (version)
);
INSERT INTO "schema_migrations" VALUES(1,'projects, seeds, attributes, candidates, reviews','2026-11-21 20:24:43.067048');
CREATE TABLE seed_tasks (
	id INTEGER NOT NULL, 
	project_id INTEGER NOT NULL, 
	position INTEGER NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	instruction TEXT NOT NULL, 
	instances JSON NOT NULL, 
	is_classification BOOLEAN NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(project_id) REFERENCES projects (id) ON DELETE CASCADE
);
CREATE INDEX ix_seed_tasks_project ON seed_tasks (project_id, position);
CREATE INDEX ix_candidates_project_status ON candidates (project_id, status, id);
CREATE INDEX ix_reviews_candidate ON reviews (candidate_id);
COMMIT;
