"""The question catalogue's tables: hand-written questions and topic phrases per cluster, and
the titles' translations. Data only; `questions` builds the catalogue from them.
"""

from __future__ import annotations

from typing import NamedTuple


# Each cluster has hand-written questions first (every one that any country reports publicly is
# among them, with a description), then questions built from topic phrases: a subject and the
# predicates that make sense for it. Ids are the cluster prefix and the position in the cluster,
# so they never change as long as the tables only grow at the end.
#
# A hand-written question is (key, English title, English description, non-compliance rate);
# the rate is the chance an average factory is found non-compliant in its first cycle.

CHILD_LABOUR_QUESTIONS = (
    ("child_unremediated", "No unremediated child labour",
     "Any child found working has been removed from work and placed in a remediation programme at the "
     "employer's expense, as the programme's child labour protocol requires.", 0.006),
    ("min_age_14", "No workers under the legal minimum age of 14",
     "No worker is younger than 14, the minimum age for employment set by national law; ages are "
     "verified against identity documents at hiring.", 0.015),
    ("min_age_15", "No workers under the legal minimum age of 15",
     "No worker is younger than 15, the minimum age for employment set by national law; ages are "
     "verified against identity documents at hiring.", 0.012),
    ("min_age_16", "No workers under the legal minimum age of 16",
     "No worker is younger than 16, the minimum age for employment set by national law; ages are "
     "verified against identity documents at hiring.", 0.01),
    ("young_hazardous", "No workers under 18 in hazardous work",
     "Workers younger than 18 are not assigned to work that is dangerous to their health or safety, "
     "such as handling chemicals, operating boilers or working at night.", 0.025),
)
CHILD_LABOUR_TOPICS = (
    ("Young workers (under 18)", (
        "are listed in a register of young workers",
        "do not work at night",
        "do not work overtime",
        "have their working hours limited as required by law",
    )),
    ("Age records", (
        "are checked against identity documents at hiring",
        "are kept on file for every worker",
    )),
    ("Apprenticeships for young workers", ("follow the legal requirements",)),
    ("Children of workers", ("are not allowed in production areas",)),
)

FORCED_LABOUR_QUESTIONS = (
    ("forced_movement", "No forced labour (freedom of movement)",
     "Workers are free to leave the workplace at the end of their shift and are not confined to the "
     "factory or its dormitories.", 0.006),
    ("bonded", "No bonded labour or recruitment debt",
     "No worker is made to work off a debt owed to the employer or to a recruitment agent.", 0.015),
    ("free_resign", "Workers are free to resign with legal notice",
     "Workers who give the notice the law requires can leave their job without losing earned wages or "
     "paying a penalty.", 0.03),
    ("forced_overtime", "No forced overtime",
     "Overtime is voluntary: workers who refuse it are not threatened, fined, dismissed or denied other "
     "benefits.", 0.05),
    ("migrant_passports", "Migrant workers keep their own passports",
     "The employer does not hold migrant workers' passports or other identity documents against their "
     "will; workers can access them at any time.", 0.06),
    ("recruitment_fees", "No recruitment fees charged to migrant workers",
     "Migrant workers did not pay recruitment fees or related costs to get their job, either to the "
     "employer or to a recruitment agency.", 0.08),
    ("prison_labour", "No prison labour",
     "The factory does not use prison labour, directly or through subcontractors.", 0.002),
)
FORCED_LABOUR_TOPICS = (
    ("Wages", (
        "are not withheld to keep workers from leaving",
        "are not paid as deferred lump sums that tie workers to the factory",
    )),
    ("Deposits", ("are not required from workers as a condition of employment",)),
    ("Security guards", (
        "do not restrict workers' movement during breaks",
        "do not search workers in a degrading way",
    )),
    ("Workers living in employer housing", ("can come and go outside working hours",)),
    ("Wage advances", ("are repaid on terms that do not tie workers to the factory",)),
)

DISCRIMINATION_QUESTIONS = (
    ("discrimination", "No discrimination against workers",
     "Recruitment, pay, promotion, training and dismissal are free of discrimination based on race, "
     "colour, sex, religion, political opinion, national or social origin and other grounds.", 0.04),
    ("pregnant_dismissal", "No dismissal of pregnant workers",
     "No worker has been dismissed, or had her contract not renewed, because she is pregnant.", 0.02),
    ("maternity_dismissal", "No dismissal of workers during maternity leave",
     "No worker has been dismissed while on maternity leave.", 0.012),
    ("harassment", "No sexual harassment",
     "Workers are not subjected to sexual harassment by managers, supervisors or co-workers, and "
     "complaints are handled through a confidential procedure.", 0.05),
    ("equal_pay", "Equal pay for men and women",
     "Men and women doing work of equal value receive equal pay and benefits.", 0.03),
    ("pregnancy_tests", "No pregnancy testing at recruitment or during employment",
     "Applicants and workers are not required to take pregnancy tests or to use contraception.", 0.05),
    ("hiv_status", "No discrimination based on HIV/AIDS status",
     "Workers are not tested for HIV without consent and are not refused work or dismissed because of "
     "their HIV/AIDS status.", 0.008),
)
DISCRIMINATION_TOPICS = (
    ("Hiring decisions", (
        "are free of discrimination based on gender",
        "are free of discrimination based on age",
        "are free of discrimination based on religion",
        "are free of discrimination based on ethnicity or national origin",
        "are free of discrimination based on political opinion",
        "are free of discrimination based on disability",
    )),
    ("Pay and benefits", (
        "are free of discrimination based on religion or ethnicity",
        "are the same for migrant and local workers doing the same work",
    )),
    ("Promotion and training decisions", (
        "are free of discrimination based on gender",
        "are free of discrimination based on ethnicity or national origin",
    )),
    ("Dismissal decisions", (
        "are free of discrimination based on gender",
        "are free of discrimination based on age",
        "are free of discrimination based on religion or political opinion",
    )),
    ("Workers with disabilities", ("have reasonable accommodation at their workstations",)),
    ("The workplace", (
        "is free of physical abuse",
        "is free of verbal abuse and threats",
        "has a written anti-harassment policy",
    )),
    ("Complaints of harassment", ("are handled through a confidential procedure",)),
    ("Pregnant workers", ("are not given hazardous tasks",)),
)

FREEDOM_OF_ASSOCIATION_QUESTIONS = (
    ("union_discrimination", "No discrimination against workers based on union membership",
     "Workers are not refused work, demoted, transferred or dismissed because they are union members "
     "or take part in union activities.", 0.03),
    ("join_form", "Workers join and form unions freely",
     "Workers can form and join the union of their choice without prior authorisation from the "
     "employer.", 0.03),
    ("union_control", "No control of union by employer",
     "The employer does not control, finance or dominate a union.", 0.02),
    ("union_dependent", "Job is not dependent on union membership",
     "Hiring, keeping a job or getting a benefit does not depend on joining, or not joining, a "
     "particular union.", 0.01),
    ("union_interference", "No management interference with union",
     "Managers do not interfere with the union's meetings, elections, finances or activities.", 0.04),
    ("free_not_join", "Workers are free not to join union",
     "No worker is pressured to join a union or to pay union dues against their will.", 0.01),
    ("bargaining", "Employer bargains collectively in good faith",
     "The employer negotiates with representative unions, shares the information needed to bargain and "
     "makes real efforts to reach an agreement.", 0.04),
    ("cba_respected", "Collective agreement terms are respected",
     "Wages, benefits and conditions agreed in the collective agreement are applied to all workers it "
     "covers.", 0.05),
    ("strikes", "No penalties for workers who take part in lawful strikes",
     "Workers who take part in a strike that follows the legal procedure are not dismissed, fined or "
     "otherwise penalised.", 0.02),
    ("participation_committee", "Participation committee is elected and functioning",
     "Workers have elected their representatives to the participation committee required by law, and "
     "the committee meets regularly with management.", 0.12),
    ("union_dues", "Union dues deducted only with workers' consent",
     "Union dues are deducted from wages only for workers who agreed in writing, and are passed on to "
     "the union.", 0.03),
)
FREEDOM_OF_ASSOCIATION_TOPICS = (
    ("Union representatives", (
        "are given paid time off for union duties as required by law",
        "have access to the workplace to meet workers",
        "are not transferred or demoted because of union activity",
        "are protected from dismissal during their term",
    )),
    ("Worker representatives", (
        "are elected by workers without management involvement",
        "are consulted before collective dismissals",
    )),
    ("Union meetings", (
        "can be held without management present",
        "are not monitored or recorded by management",
    )),
    ("Labour disputes", (
        "are settled through the legal procedure",
        "are not settled by dismissing union members",
    )),
    ("Collective agreements", (
        "are posted where workers can read them",
        "are registered with the labour authority",
    )),
    ("Management", (
        "does not offer benefits to discourage union membership",
        "does not favour one union over another",
        "does not keep lists of union members to refuse them work",
    )),
)

COMPENSATION_QUESTIONS = (
    ("min_wage", "Correctly paid minimum wages",
     "Every worker, including probationary, piece-rate and casual workers, is paid at least the legal "
     "minimum wage for ordinary hours.", 0.09),
    ("ot_wages", "Correctly paid overtime wages (ordinary overtime hours)",
     "Overtime hours worked on ordinary working days are paid at the premium rate set by law.", 0.18),
    ("wages_on_time", "Wages paid in full and on time",
     "Wages are paid in full, in legal tender or by bank transfer, no later than the date the law "
     "requires.", 0.07),
    ("social_security", "Social security contributions paid for all workers",
     "The employer registers every worker with the social security scheme and pays the full "
     "contributions on time.", 0.12),
    ("deductions", "No unauthorised deductions from wages",
     "Only deductions allowed by law or agreed in writing by the worker are made from wages.", 0.06),
    ("leave_pay", "Paid annual leave and public holidays paid correctly",
     "Days of annual leave and public holidays are paid at the worker's full rate, including regular "
     "allowances.", 0.09),
    ("piece_rate_ht", "Piece-rate workers earn at least the legal minimum wage",
     "Production targets are set so that piece-rate workers earn at least the daily minimum wage for "
     "the garment sector within ordinary hours.", 0.2),
    ("thr_id", "Religious holiday allowance (THR) paid in full and on time",
     "The religious holiday allowance (Tunjangan Hari Raya) is paid in full to every eligible worker, "
     "at least seven days before the holiday.", 0.08),
    ("christmas_bonus_ni", "Thirteenth-month (Christmas) bonus paid correctly",
     "The thirteenth-month salary is paid in full to every worker, proportionally for those employed "
     "less than a year, within the legal deadline.", 0.06),
    ("maternity_benefit_bd", "Maternity benefits paid for 16 weeks",
     "Workers entitled to maternity benefit receive full pay for eight weeks before and eight weeks "
     "after childbirth.", 0.08),
    ("insurance_vn", "Social, health and unemployment insurance paid for all workers",
     "The employer pays social, health and unemployment insurance contributions for every worker with "
     "a contract of one month or more.", 0.12),
    ("night_premium", "Correctly paid night work premium",
     "Hours worked at night are paid with the premium set by law or by the collective agreement.", 0.08),
)
COMPENSATION_TOPICS = (
    ("Payslips", (
        "show hours worked, rates and every deduction",
        "are given to workers every pay period",
        "are in a language workers understand",
    )),
    ("Wage records", ("are accurate and kept for the legal period",)),
    ("Attendance bonuses", ("are calculated correctly", "are paid in full and on time")),
    ("Seniority allowances", ("are calculated correctly", "are paid in full and on time")),
    ("Transport allowances", ("are calculated correctly", "are paid in full and on time")),
    ("Meal allowances", ("are calculated correctly", "are paid in full and on time")),
    ("Housing allowances", ("are calculated correctly", "are paid in full and on time")),
    ("Production bonuses", ("are calculated correctly", "are paid in full and on time")),
    ("Severance payments", ("are calculated correctly", "are paid in full and on time")),
    ("Final wage payments to departing workers", ("are calculated correctly", "are paid in full and on time")),
    ("Sick-leave wages", ("are calculated correctly", "are paid in full and on time")),
    ("Maternity-leave wages", ("are calculated correctly", "are paid in full and on time")),
    ("Wages during temporary suspension of work", ("are calculated correctly", "are paid in full and on time")),
    ("Wages of probationary workers", ("are at least the legal minimum wage",)),
)

CONTRACTS_QUESTIONS = (
    ("bonuses_period", "Bonuses, allowances, leaves count entire employment period",
     "Seniority, annual leave and other benefits are calculated on the worker's whole period of "
     "employment, without breaks created by successive short contracts.", 0.05),
    ("written_contracts", "Written employment contracts for all workers",
     "Every worker has a written contract that complies with the law, signed before work begins.", 0.07),
    ("fixed_term", "Fixed-term contracts used only as the law allows",
     "Fixed-term contracts are used only for the purposes and durations the law allows, and are not "
     "renewed to avoid permanent employment.", 0.1),
    ("pkwt_id", "Fixed-term contracts (PKWT) used only for work that is temporary by nature",
     "Fixed-term employment agreements (PKWT) are used only for work that is temporary, seasonal or "
     "new, and within the legal maximum duration.", 0.15),
    ("dismissal_procedure", "Dismissals follow the legal procedure",
     "Workers are dismissed only for valid reasons, with the notice, hearing and documentation the law "
     "requires.", 0.06),
    ("probation", "Probation periods within legal limits",
     "Probation periods do not exceed the legal maximum and are not repeated for the same worker.", 0.05),
    ("work_permits_jo", "Work permits for migrant workers paid for by the employer",
     "The employer obtains and pays for valid work and residence permits for every migrant worker.", 0.07),
    ("grievance", "Workers have a working grievance procedure",
     "Workers can raise complaints through a known procedure, and complaints are answered.", 0.09),
)
CONTRACTS_TOPICS = (
    ("Employment contracts", (
        "state wages, hours and job duties",
        "are signed before work begins",
        "are given to workers in a copy they can keep",
        "are written in a language workers understand",
    )),
    ("Internal work rules", (
        "are approved by the labour authority",
        "are posted where workers can read them",
        "were drawn up after consulting worker representatives",
    )),
    ("Disciplinary measures", (
        "follow the internal work rules",
        "do not include fines or wage deductions",
        "are recorded and explained to the worker",
    )),
    ("Personnel files", ("are kept for every worker", "are kept confidential")),
    ("Termination notices", (
        "are given within the legal notice period",
        "state the reasons for dismissal",
    )),
    ("Collective dismissals", ("follow the legal consultation procedure",)),
    ("Temporary agency workers", (
        "receive the same legal protections as direct employees",
        "are not used to replace striking workers",
    )),
    ("Homeworkers and subcontracted workers", ("are employed under terms that meet the law",)),
    ("Induction training", (
        "covers workers' rights and the internal work rules",
        "is counted as paid working time",
    )),
    ("Worker-management dialogue", ("takes place in a bipartite committee that meets regularly",)),
    ("Workers", (
        "are told in writing of any change in their terms of employment",
        "can raise grievances without fear of retaliation",
        "receive a certificate of employment when they leave",
    )),
    ("Suspensions of work", ("follow the legal procedure",)),
    ("Resignations", ("are accepted without penalty when legal notice is given",)),
    ("Job descriptions", ("are given to workers in writing",)),
)

OSH_QUESTIONS = (
    ("drills", "Regular emergency evacuation drills (every 6 months)",
     "All workers on all shifts take part in an evacuation drill at least every six months, and drills "
     "are recorded.", 0.2),
    ("exits_unlocked", "Emergency exit doors are unlocked during working hours",
     "Every emergency exit door can be opened from the inside without a key while anyone is at work.", 0.1),
    ("exits_sufficient", "Emergency exit doors are sufficient",
     "There are enough emergency exits, of sufficient width and opening outwards, for the number of "
     "workers on each floor.", 0.1),
    ("machine_guards", "Dangerous machine parts have safety guards (not needle guards)",
     "Belts, pulleys, gears and other moving parts that could injure workers are fitted with guards; "
     "needle guards on sewing machines are assessed separately.", 0.22),
    ("drinking_water", "Clean and sufficient drinking water",
     "Safe, clean drinking water is freely available to all workers close to their work areas.", 0.07),
    ("chemicals", "Chemicals and hazardous substances are labelled and stored safely",
     "Containers of chemicals are labelled in a language workers understand and are stored in a "
     "ventilated area away from ignition sources.", 0.28),
    ("ppe", "Workers are given and use suitable personal protective equipment",
     "The employer provides, free of charge, the protective equipment each job needs, and workers are "
     "trained to use it.", 0.26),
    ("fire_fighting", "Fire-fighting equipment is sufficient and maintained",
     "Fire extinguishers, hoses and alarms are sufficient for the premises, inspected and in working "
     "order.", 0.14),
    ("electrical", "Electrical installations are safe and inspected",
     "Wiring, panels and equipment are insulated, earthed and inspected by a qualified electrician.", 0.17),
    ("structural_bd", "Building structure certified safe by a qualified engineer",
     "The factory building has a valid structural safety certificate, and floor loads stay within its "
     "design limits.", 0.08),
    ("safety_committee_bd", "Safety committee is formed and functioning",
     "A safety committee with elected worker members has been formed as the law requires and meets "
     "regularly.", 0.1),
    ("dormitories_jo", "Worker dormitories meet safety and hygiene standards",
     "Dormitories provided by the employer have fire exits, enough space, sanitation and clean water.", 0.2),
    ("first_aid", "First-aid supplies and trained first-aiders are available",
     "Stocked first-aid kits and trained first-aiders are available on every floor and every shift.", 0.14),
    ("toilets", "Sufficient, clean toilets",
     "There are enough clean toilets, separate for men and women, for the number of workers.", 0.08),
    ("heat_ventilation", "Workplace temperature and ventilation are acceptable",
     "Work areas are ventilated and kept at a temperature that is safe for the work done.", 0.22),
    ("routes_marked", "Exits and evacuation routes are marked and unobstructed",
     "Evacuation routes and exits are signposted, lit and kept free of goods and materials.", 0.14),
)
OSH_TOPICS = (
    ("Safety data sheets", (
        "are available for every chemical used",
        "are in a language workers understand",
    )),
    ("Chemical storage areas", (
        "are ventilated and have spill containment",
        "are locked and accessible only to trained workers",
    )),
    ("Eye-wash stations", ("are available where chemicals are handled",)),
    ("Boilers and pressure vessels", (
        "are inspected by a licensed inspector",
        "are operated by certified workers",
    )),
    ("Generators and fuel stores", ("are separated from work areas",)),
    ("Electrical panels", (
        "are covered, labelled and kept clear",
        "are maintained by qualified electricians",
    )),
    ("Wiring and cables", ("are insulated and not overloaded",)),
    ("Fire alarms", (
        "are installed and audible in all work areas",
        "are tested regularly",
    )),
    ("Fire extinguishers", (
        "are inspected and refilled on schedule",
        "are mounted and unobstructed",
    )),
    ("Evacuation plans", (
        "are posted in every work area",
        "show the assembly point",
    )),
    ("Emergency lighting", ("works during power cuts",)),
    ("Stairways", ("are kept clear and have handrails",)),
    ("Aisles and walkways", ("are marked and kept clear of materials",)),
    ("Fire wardens", ("are appointed and trained on every floor",)),
    ("Sewing machines", ("have needle guards and pulley covers",)),
    ("Cutting machines", ("have hand guards, and cutters wear cut-resistant gloves",)),
    ("Machines", (
        "are maintained and inspected regularly",
        "have emergency stop buttons within reach",
        "are locked out during maintenance",
    )),
    ("Forklifts and hoists", (
        "are operated only by licensed operators",
        "are inspected regularly",
    )),
    ("Noise levels", ("are measured, and hearing protection is provided where needed",)),
    ("Lighting", ("is sufficient for the work done",)),
    ("Dust and fibre levels", ("are controlled by ventilation",)),
    ("Work areas", ("are clean and tidy", "are not overcrowded")),
    ("Workstations", (
        "allow workers to change posture",
        "have seats with backrests where work is done seated",
    )),
    ("Manual lifting", ("stays within safe weight limits",)),
    ("Toilets", (
        "are separate for men and women",
        "can be used during working hours without restriction",
    )),
    ("Hand-washing stations", ("have soap and running water",)),
    ("Canteens and eating areas", ("are clean and separate from work areas",)),
    ("Breastfeeding rooms", ("are provided as required by law",)),
    ("Childcare facilities", ("are provided as required by law",)),
    ("Medical staff", ("are available as required by law",)),
    ("Workplace accidents", (
        "are recorded and reported to the authorities",
        "are investigated to prevent recurrence",
    )),
    ("Occupational illnesses", ("are recorded and reported to the authorities",)),
    ("Health checks", ("are provided to workers at hiring and periodically",)),
    ("Workers", (
        "are trained on the hazards of their jobs",
        "are insured against workplace injury",
        "can stop work in imminent danger without penalty",
    )),
    ("The occupational safety and health policy", ("is written and communicated to workers",)),
    ("The workplace risk assessment", ("covers every work area and is kept up to date",)),
    ("Dormitories provided by the employer", ("have fire exits and fire extinguishers",)),
    ("Drinking water", ("is tested for safety regularly",)),
    ("Building extensions", ("have the required construction permits",)),
    ("Floor loads", ("stay within the building's design limits",)),
    ("Pest control", ("is carried out in work and eating areas",)),
)

WORKING_TIME_QUESTIONS = (
    ("ot_limits", "Overtime within legal limits",
     "Daily, weekly and annual overtime stay within the limits set by national law.", 0.45),
    ("ot_limits_vn", "Overtime within the annual limit of 300 hours",
     "Overtime stays within 300 hours a year, the limit the law allows for textile and garment "
     "production, and within the monthly limit.", 0.4),
    ("weekly_rest", "Workers get at least one day off per week",
     "Every worker has at least 24 consecutive hours of rest each week.", 0.14),
    ("regular_hours", "Regular working hours within legal limits",
     "Ordinary working hours do not exceed the daily and weekly limits set by law.", 0.07),
    ("annual_leave", "Paid annual leave granted",
     "Workers receive the paid annual leave the law gives them and can take it.", 0.09),
    ("time_records", "Working time records are accurate",
     "Records of hours worked, including overtime, are accurate and match what workers report.", 0.12),
    ("maternity_leave", "Maternity leave granted as required by law",
     "Workers receive the full maternity leave the law provides.", 0.03),
    ("public_holidays", "Public holidays granted as required by law",
     "Workers are given the public holidays set by law, or compensated as the law requires.", 0.06),
)
WORKING_TIME_TOPICS = (
    ("Overtime", (
        "is requested in advance and recorded",
        "is approved by the labour authority where the law requires it",
        "stays within the daily legal limit",
    )),
    ("Breaks", (
        "are given for meals at the legal length",
        "are given to nursing mothers during working hours",
    )),
    ("Night work", (
        "is limited as required by law",
        "is done only with the legal authorisations",
    )),
    ("Shift schedules", ("are posted in advance",)),
    ("Time cards", (
        "are punched by workers themselves",
        "match the payroll records",
    )),
    ("Sick leave", ("is granted as required by law",)),
    ("Special leave (marriage, bereavement)", ("is granted as required by law",)),
    ("Working hours of young workers", ("stay within the legal limits",)),
    ("Compensatory rest", ("is given after work on weekly rest days",)),
    ("Annual leave", ("can be taken at a time agreed with the worker",)),
    ("Work on public holidays", ("is voluntary and compensated as the law requires",)),
)


class ClusterSpec(NamedTuple):
    cluster: str
    prefix: str
    questions: tuple  # hand-written (key, title, description, rate)
    topics: tuple  # (subject, predicates) for the templated rest
    topic_rate: float  # typical non-compliance rate of the templated questions


CLUSTERS = (
    ClusterSpec("CHILD_LABOUR", "CHI", CHILD_LABOUR_QUESTIONS, CHILD_LABOUR_TOPICS, 0.015),
    ClusterSpec("FORCED_LABOUR", "FOL", FORCED_LABOUR_QUESTIONS, FORCED_LABOUR_TOPICS, 0.015),
    ClusterSpec("DISCRIMINATION", "DIS", DISCRIMINATION_QUESTIONS, DISCRIMINATION_TOPICS, 0.03),
    ClusterSpec("FREEDOM_OF_ASSOCIATION", "FOA", FREEDOM_OF_ASSOCIATION_QUESTIONS,
                FREEDOM_OF_ASSOCIATION_TOPICS, 0.04),
    ClusterSpec("COMPENSATION", "COM", COMPENSATION_QUESTIONS, COMPENSATION_TOPICS, 0.07),
    ClusterSpec("CONTRACTS_AND_HUMAN_RESOURCES", "CHR", CONTRACTS_QUESTIONS, CONTRACTS_TOPICS, 0.08),
    ClusterSpec("OCCUPATIONAL_SAFETY_AND_HEALTH", "OSH", OSH_QUESTIONS, OSH_TOPICS, 0.14),
    ClusterSpec("WORKING_TIME", "WT", WORKING_TIME_QUESTIONS, WORKING_TIME_TOPICS, 0.1),
)

# The format carries translations; a handful of titles have French and Spanish ones (the
# languages of the Haiti and Nicaragua programmes).
TITLE_TRANSLATIONS = {
    "child_unremediated": {"fr": "Pas de travail des enfants non corrigé",
                           "es": "Ningún trabajo infantil sin remediar"},
    "min_age_14": {"fr": "Aucun travailleur n'a moins que l'âge minimum légal de 14 ans",
                   "es": "Ningún trabajador menor de la edad mínima legal de 14 años"},
    "min_age_15": {"fr": "Aucun travailleur n'a moins que l'âge minimum légal de 15 ans",
                   "es": "Ningún trabajador menor de la edad mínima legal de 15 años"},
    "forced_movement": {"fr": "Pas de travail forcé (liberté de mouvement)",
                        "es": "Ningún trabajo forzoso (libertad de movimiento)"},
    "harassment": {"fr": "Pas de harcèlement sexuel", "es": "Ningún acoso sexual"},
    "equal_pay": {"fr": "Égalité de rémunération entre hommes et femmes",
                  "es": "Igualdad de remuneración entre hombres y mujeres"},
    "join_form": {"fr": "Les travailleurs adhèrent librement à des syndicats et en créent librement",
                  "es": "Los trabajadores se afilian a sindicatos y los forman libremente"},
    "min_wage": {"fr": "Salaire minimum correctement payé", "es": "Salario mínimo pagado correctamente"},
    "exits_unlocked": {"fr": "Les portes des issues de secours sont déverrouillées pendant les heures de travail",
                       "es": "Las puertas de las salidas de emergencia no están cerradas con llave "
                             "durante la jornada laboral"},
    "drinking_water": {"fr": "Eau potable propre et en quantité suffisante",
                       "es": "Agua potable limpia y suficiente"},
    "ot_limits": {"fr": "Heures supplémentaires dans les limites légales",
                  "es": "Horas extraordinarias dentro de los límites legales"},
}
